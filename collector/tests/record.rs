//! `wattcast record` end to end, driven by replays of real recorded traces (the SEAA 2023 runs in
//! data/profiles), plus `devices`, `validate` and `merge`. No GPU needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TRACE: &str = "data/profiles/seaa2023/cloud/resnet50-20230308T131133.json.gz";
const TRACE2: &str = "data/profiles/seaa2023/local-v2/vgg16-20230302T090030.json.gz";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wattcast-rec-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wattcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattcast")).args(args).current_dir(root()).output().unwrap()
}

/// `wattcast record --replay TRACE --speed SPEED --status-s 0 [EXTRA…] -o OUT -- COMMAND…`.
fn record_args(speed: &str, out: &Path, extra: &[&str], command: &[&str]) -> Vec<String> {
    let mut a: Vec<String> =
        ["record", "--replay", TRACE, "--speed", speed, "--status-s", "0"].map(String::from).into();
    a.extend(extra.iter().map(|s| s.to_string()));
    a.extend(["-o".to_string(), out.to_str().unwrap().to_string(), "--".to_string()]);
    a.extend(command.iter().map(|s| s.to_string()));
    a
}

fn record(speed: &str, out: &Path, extra: &[&str], command: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wattcast"))
        .args(record_args(speed, out, extra, command))
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn profile(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The trace as stored: (t_ms, power_w) and its trapezoid integral.
fn trace(path: &str) -> (Vec<u64>, Vec<f64>, f64) {
    use std::io::Read;
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(root().join(path)).unwrap()).read_to_string(&mut s).unwrap();
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    let smp = &v["devices"][0]["samples"];
    let t: Vec<u64> = smp["t_ms"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    let p: Vec<f64> = smp["power_w"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let e = t.windows(2).zip(p.windows(2)).map(|(t, p)| (t[1] - t[0]) as f64 / 1000.0 * (p[0] + p[1]) / 2.0).sum();
    (t, p, e)
}

#[test]
fn normal_run_records_the_whole_trace_and_its_energy() {
    let out_path = tmp("normal").join("run.json");
    // 4,293 s of trace at 2,000× ≈ 2.1 s; the command (4 s) outlasts it, so sampling stops and recording waits.
    let out = wattcast(&[
        "record",
        "--replay",
        TRACE,
        "--speed",
        "2000",
        "--status-s",
        "0.5",
        "--arch",
        "paper-resnet50-128",
        "--epochs",
        "150",
        "-o",
        out_path.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "sleep 3; echo trained",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "trained\n", "the command's output passes through unchanged");
    assert!(text(&out.stderr).contains("[wattcast]"), "status lines on stderr");
    let p = profile(&out_path);
    let (t, _, energy) = trace(TRACE);
    assert_eq!(p["status"], "complete");
    assert_eq!(p["exit_code"], 0);
    assert_eq!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len(), t.len());
    let recorded = p["summary"]["energy_j"].as_f64().unwrap();
    assert!(((recorded - energy) / energy).abs() <= 0.001, "recorded {recorded} J vs trace integral {energy} J");
    assert_eq!(p["meta"]["gpu"]["catalog_id"], "nvidia-rtx-3090");
    assert_eq!(p["calibration"]["energy_source"], "integrated");
    let v = wattcast(&["validate", out_path.to_str().unwrap()]);
    assert!(v.status.success(), "{}", text(&v.stdout));
}

#[test]
fn a_crashing_command_still_leaves_its_profile_and_exit_code() {
    let out_path = tmp("crash").join("run.json");
    let out = record("500", &out_path, &[], &["sh", "-c", "sleep 0.5; echo boom >&2; exit 3"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("boom"));
    let p = profile(&out_path);
    assert_eq!(p["exit_code"], 3);
    assert!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len() > 10);
}

#[test]
fn sigint_is_forwarded_and_the_profile_saved_as_interrupted() {
    let out_path = tmp("sigint").join("run.json");
    let child = Command::new(env!("CARGO_BIN_EXE_wattcast"))
        .args(record_args("100", &out_path, &[], &["sleep", "30"]))
        .current_dir(root())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    // sleep dies of the forwarded SIGINT: 128 + 2.
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("SIGINT received"));
    let p = profile(&out_path);
    assert_eq!(p["status"], "interrupted");
    assert!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len() > 50, "samples up to the signal are kept");
}

#[test]
fn epochs_from_the_marker_file_and_from_a_regex() {
    let dir = tmp("epochs");
    let marker = dir.join("run-marker.json");
    let out = record(
        "100",
        &marker,
        &[],
        &["sh", "-c", "for i in 1 2 3; do sleep 0.4; echo done >> \"$WATTCAST_MARKER\"; done; sleep 0.3"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = profile(&marker);
    let epochs = p["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 3);
    assert!(epochs.windows(2).all(|w| w[0]["end_t_ms"].as_u64() < w[1]["end_t_ms"].as_u64()));
    assert!(epochs.iter().all(|e| e["energy_j"].as_f64().unwrap() > 0.0));
    assert_eq!(p["meta"]["completed_epochs"], 3);

    let regex = dir.join("run-regex.json");
    let out = record(
        "100",
        &regex,
        &["--epoch-regex", r"Epoch \d+/\d+"],
        &["sh", "-c", "for i in 1 2 3 4; do sleep 0.3; echo \"Epoch $i/4\"; done; printf 'no newline'"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Epoch 1/4\nEpoch 2/4\nEpoch 3/4\nEpoch 4/4\nno newline");
    assert_eq!(profile(&regex)["epochs"].as_array().unwrap().len(), 4);
}

#[test]
fn multi_gpu_replay_gives_one_profile_with_per_gpu_series() {
    let out_path = tmp("multi").join("run.json");
    let out = wattcast(&[
        "record",
        "--replay",
        TRACE,
        "--replay",
        TRACE2,
        "--speed",
        "5000",
        "--status-s",
        "0",
        "-o",
        out_path.to_str().unwrap(),
        "--",
        "sleep",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = profile(&out_path);
    let devices = p["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(p["meta"]["n_gpus"], 2);
    let sum: f64 = devices.iter().map(|d| d["energy_j"].as_f64().unwrap()).sum();
    assert!((sum - p["summary"]["energy_j"].as_f64().unwrap()).abs() < 1e-6);
    let (_, _, e1) = trace(TRACE);
    let (_, _, e2) = trace(TRACE2);
    assert!(((sum - e1 - e2) / (e1 + e2)).abs() <= 0.001);
    // The same recording twice is not two nodes: its GPUs would be counted twice.
    let merged = out_path.with_file_name("merged.json");
    let m =
        wattcast(&["merge", out_path.to_str().unwrap(), out_path.to_str().unwrap(), "-o", merged.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(1));
    assert!(text(&m.stderr).contains("each GPU is counted once"), "{}", text(&m.stderr));
    assert!(!merged.exists());
}

/// `wattcast record` as SLURM starts it on node `node` of a two-node job (local rank `local`).
fn record_on_node(dir: &Path, job: &str, node: u32, local: u32, trace: &str) -> Output {
    let mut args = record_args("5000", &dir.join("run.json"), &[], &["sleep", "1"]);
    args[2] = trace.to_string();
    Command::new(env!("CARGO_BIN_EXE_wattcast"))
        .args(args)
        .current_dir(root())
        .env("SLURM_JOB_ID", job)
        .env("SLURM_NNODES", "2")
        .env("SLURM_NODEID", node.to_string())
        .env("SLURM_LOCALID", local.to_string())
        .output()
        .unwrap()
}

#[test]
fn two_nodes_of_a_slurm_job_record_once_each_and_merge_into_one_profile() {
    let dir = tmp("nodes");
    // Two ranks per node: local rank 1 runs the command without recording.
    for (node, trace) in [(0, TRACE), (1, TRACE)] {
        let skip = record_on_node(&dir, "4242", node, 1, trace);
        assert!(skip.status.success(), "{}", text(&skip.stderr));
        assert!(text(&skip.stderr).contains("local rank 0 records"), "{}", text(&skip.stderr));
        assert!(!dir.join(format!("run.node{node}.json")).exists(), "a non-zero local rank wrote a profile");
        let rec = record_on_node(&dir, "4242", node, 0, trace);
        assert!(rec.status.success(), "{}", text(&rec.stderr));
    }
    assert!(!dir.join("run.json").exists(), "each node writes its own file");
    let n0 = profile(&dir.join("run.node0.json"));
    let n1 = profile(&dir.join("run.node1.json"));
    assert_eq!((n0["job"]["id"].as_str(), n0["job"]["node"].as_u64()), (Some("4242"), Some(0)));
    assert_eq!((n1["job"]["launcher"].as_str(), n1["job"]["node"].as_u64()), (Some("slurm"), Some(1)));
    let merged = dir.join("merged.json");
    let paths = [dir.join("run.node1.json"), dir.join("run.node0.json")];
    let m =
        wattcast(&["merge", paths[0].to_str().unwrap(), paths[1].to_str().unwrap(), "-o", merged.to_str().unwrap()]);
    assert!(m.status.success(), "{}", text(&m.stderr));
    let mp = profile(&merged);
    assert_eq!(mp["meta"]["n_gpus"], 2, "each GPU once");
    assert_eq!(mp["id"], "run", "the node suffix is gone");
    assert!(mp.get("job").is_none());
    let (_, _, e1) = trace(TRACE);
    let e = mp["summary"]["energy_j"].as_f64().unwrap();
    assert!(((e - 2.0 * e1) / (2.0 * e1)).abs() <= 0.001, "{e} vs {}", 2.0 * e1);
    let v = wattcast(&["validate", merged.to_str().unwrap()]);
    assert!(v.status.success(), "{}", text(&v.stdout));
    // A node of another job is refused, naming both.
    let other = tmp("nodes-other");
    assert!(record_on_node(&other, "9999", 1, 0, TRACE).status.success());
    let o = other.join("run.node1.json");
    let m = wattcast(&["merge", paths[1].to_str().unwrap(), o.to_str().unwrap(), "-o", merged.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(1));
    let err = text(&m.stderr);
    assert!(err.contains("job \"9999\"") && err.contains("job \"4242\""), "{err}");
}

#[test]
fn validate_reports_every_problem_with_its_location() {
    let dir = tmp("validate");
    let good = dir.join("good.json");
    let out = wattcast(&[
        "record",
        "--replay",
        TRACE,
        "--speed",
        "1000",
        "--status-s",
        "0",
        "-o",
        good.to_str().unwrap(),
        "--",
        "sleep",
        "0.5",
    ]);
    assert!(out.status.success());
    assert!(wattcast(&["validate", good.to_str().unwrap()]).status.success());
    let mut p = profile(&good);
    p["devices"][0]["samples"]["t_ms"][5] = serde_json::json!(0);
    p["devices"][0]["samples"]["power_w"][7] = serde_json::json!(-4.0);
    p["devices"][0]["samples"]["power_w"][8] = serde_json::json!(9999.0);
    p["summary"]["energy_j"] = serde_json::json!(1.0);
    p["meta"]["arch_id"] = serde_json::json!("resnet-9000");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&p).unwrap()).unwrap();
    let notjson = dir.join("notjson.json");
    std::fs::write(&notjson, "{ this is not json").unwrap();
    let out = wattcast(&["validate", good.to_str().unwrap(), bad.to_str().unwrap(), notjson.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out.stdout);
    for expected in [
        "good.json: ok",
        "devices[0].samples.t_ms[5]: time 0 ms does not increase",
        "devices[0].samples.power_w[7]: -4 W is not within [0, 700]",
        "devices[0].samples.power_w[8]: 9999 W",
        "summary.energy_j: 1 J differs",
        "warning: meta.arch_id: \"resnet-9000\" is not in the architecture catalogue",
        "notjson.json: 1 error(s)",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
}

#[test]
fn without_a_driver_devices_and_record_say_what_to_install() {
    let out = wattcast(&["devices", "--json"]);
    if out.status.success() {
        // A machine with an NVIDIA driver: the listing is JSON with one entry per GPU.
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["devices"].is_array());
        return;
    }
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("libnvidia-ml.so.1") && text(&out.stderr).contains("Install the NVIDIA driver"));
    let out = wattcast(&["record", "--idle-s", "0", "-o", "/tmp/never.json", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("libnvidia-ml.so.1"));
}

#[test]
fn bad_record_flags_name_the_flag_and_value() {
    for (args, expected) in [
        (vec!["--interval-ms", "5"], "--interval-ms"),
        (vec!["--gpus", "first"], "invalid value \"first\" for --gpus"),
        (vec!["--epoch-regex", "(unclosed"], "invalid value \"(unclosed\" for --epoch-regex"),
        (vec!["--replay", "no/such/trace.csv"], "no/such/trace.csv"),
        (vec!["--replay", TRACE, "--speed", "0"], "speed must be > 0"),
        (vec!["--replay", TRACE, "--mode", "qlora"], "invalid value \"qlora\" for --mode"),
        (vec!["--replay", TRACE, "--lora-rank", "8"], "invalid value \"8\" for --lora-rank: applies to LoRA only"),
    ] {
        let mut full = vec!["record", "--status-s", "0", "-o", "/tmp/never.json"];
        full.extend(args.iter().copied());
        full.extend(["--", "true"]);
        let out = wattcast(&full);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(expected), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn an_unwritable_output_keeps_the_profile_elsewhere_and_says_where() {
    // The parent of the output is a file: neither checkpoints nor the final profile can be written there.
    let dir = tmp("unwritable");
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let target = blocker.join("run.json");
    let out = record("1000", &target, &["--checkpoint-s", "1"], &["sleep", "1.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("cannot write the checkpoint"), "{err}");
    let saved = err
        .lines()
        .find_map(|l| l.strip_prefix("[wattcast] the profile was saved to ").and_then(|r| r.strip_suffix(" instead")))
        .unwrap_or_else(|| panic!("no fallback path in: {err}"));
    let p = profile(Path::new(saved));
    assert_eq!(p["status"], "complete");
    assert!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len() > 100);
    std::fs::remove_file(saved).ok();
}

#[test]
fn a_command_killed_by_a_signal_keeps_its_profile_and_says_which_signal() {
    let out_path = tmp("sigkill").join("run.json");
    let out = record("500", &out_path, &[], &["sh", "-c", "sleep 0.5; kill -9 $$"]);
    assert_eq!(out.status.code(), Some(137), "128 + SIGKILL: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("command exit code 137 (killed by SIGKILL)"), "{}", text(&out.stderr));
    let p = profile(&out_path);
    assert_eq!(p["exit_code"], 137);
    assert!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len() > 10, "the samples up to the kill are kept");
}

#[test]
fn a_full_disk_keeps_the_last_checkpoint_and_says_where_it_is() {
    // A file-size limit makes every write past 8 kB fail (EFBIG, as a full disk would): the first
    // checkpoint fits, the final profile and its fallback do not. The recorder must not die of SIGXFSZ.
    let out_path = tmp("full").join("run.json");
    let out = Command::new("prlimit")
        .args(["--fsize=8000", "--", env!("CARGO_BIN_EXE_wattcast")])
        .args(record_args("100", &out_path, &["--checkpoint-s", "1"], &["sleep", "4"]))
        .current_dir(root())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write the checkpoint"), "later checkpoints fail: {err}");
    let kept = err.split("the last checkpoint, ").nth(1).unwrap_or_else(|| panic!("no checkpoint named in: {err}"));
    let n: usize = kept.split(' ').next().unwrap().parse().unwrap();
    assert!(kept.contains(out_path.to_str().unwrap()), "{err}");
    // The checkpoint on disk is a valid profile holding the samples the message says.
    let p = profile(&out_path);
    assert_eq!(p["status"], "interrupted");
    assert_eq!(p["devices"][0]["samples"]["t_ms"].as_array().unwrap().len(), n);
}

/// The command `wattcast estimate` suggests for a LoRA run records the mode and rank it names.
#[test]
fn the_suggested_command_for_a_lora_run_records_its_mode_and_rank() {
    let est = wattcast(&["estimate", "arch=llama-3.2-1b&gpu=nvidia-h200-sxm&batch=8&seq=2048&mode=lora&lora_rank=16"]);
    assert!(est.status.success(), "{}", text(&est.stderr));
    let line = text(&est.stdout).lines().find(|l| l.starts_with("Record this run: ")).unwrap().to_string();
    assert!(line.contains(" --seq 2048 --mode lora --lora-rank 16 "), "{line}");
    let flags: Vec<&str> = line.split(" -o ").next().unwrap().split_whitespace().skip(5).collect();
    let out_path = tmp("lora").join("run.json");
    let out = record("2000", &out_path, &flags, &["sleep", "0.3"]);
    assert_eq!(out.status.code(), Some(0), "{flags:?}: {}", text(&out.stderr));
    let meta = &profile(&out_path)["meta"];
    assert_eq!((meta["mode"].as_str(), meta["lora_rank"].as_u64()), (Some("lora"), Some(16)), "{meta}");
    assert!(wattcast(&["validate", out_path.to_str().unwrap()]).status.success());
}
