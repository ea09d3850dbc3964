//! Language-model and cluster runs end to end through `estimator::estimate`: the five kinds of run (pre-train,
//! full fine-tune, LoRA; 1 GPU, 8 GPUs, 64 GPUs over 8 servers) each give time, GPU and server energy, CO2e,
//! cost in its two parts and a memory verdict, and the numbers move the way the physics says.

use estimator::methods::MethodId;
use estimator::{Calibration, Catalog, Report};

fn report(query: &str) -> Report {
    let catalog = Catalog::embedded().unwrap();
    let cal = Calibration::embedded().unwrap();
    let (resolved, report) = estimator::estimate(&catalog, &cal, query);
    assert!(resolved.errors.is_empty(), "{query}: {:?}", resolved.errors);
    assert!(report.invariant_violations().is_empty(), "{query}: {:?}", report.invariant_violations());
    report
}

fn headline(r: &Report) -> &estimator::Estimate {
    r.rows.iter().find(|e| e.headline && e.gpu == "nvidia-h100-sxm").unwrap()
}

const BASE: &str = "arch=llama-3.1-8b&gpu=nvidia-h100-sxm&samples=100M&epochs=1&precision=bf16&scope=server&gpu_hour_price=2.5&price=0.12&currency=USD&region=US";

/// Every kind of run has every number, the server counts more than its GPUs, the cost is its parts.
#[test]
fn five_kinds_of_run_give_every_number() {
    for extra in [
        "mode=pretrain&n_gpus=1&zero=3",
        "mode=finetune&n_gpus=8&zero=3",
        "mode=lora&n_gpus=1",
        "mode=finetune&nodes=8&gpus_per_node=8&zero=3",
        "mode=pretrain&nodes=8&gpus_per_node=8&efficiency=tuned&zero=1",
    ] {
        let q = format!("{BASE}&{extra}");
        let r = report(&q);
        let h = headline(&r);
        assert_eq!(h.method, MethodId::Headline, "{q}");
        let (e, s) = (h.energy_kwh.unwrap(), h.scope_kwh.unwrap());
        assert!(h.duration_h.unwrap() > 0.0 && e > 0.0 && s > e && h.co2e_kg.unwrap() > 0.0, "{q}: {h:?}");
        let (rent, elec, total) = (h.rental_cost.unwrap(), h.energy_cost.unwrap(), h.cost.unwrap());
        assert!((rent + elec - total).abs() < 1e-9 * total && rent > elec, "{q}: renting dominates");
        let plan = r.plans.iter().find(|p| p.gpu == "nvidia-h100-sxm").unwrap();
        assert!(plan.memory.is_some() && plan.scaling.is_some() && plan.mfu.is_some(), "{q}");
        assert_eq!((r.currency.as_str(), r.scope), ("USD", estimator::scenario::Scope::Server));
    }
}

/// LoRA is faster than a full fine-tune; 64 GPUs are faster than 8 but not 8 × faster than 8 at worse than
/// their servers' efficiency; `tuned` is faster than `typical`; a stated utilisation is used as stated.
#[test]
fn time_moves_with_mode_gpus_and_efficiency() {
    let hours = |extra: &str| headline(&report(&format!("{BASE}&{extra}"))).duration_h.unwrap();
    assert!(hours("mode=lora") < hours("mode=finetune"));
    let (eight, sixty_four) = (hours("n_gpus=8"), hours("nodes=8&gpus_per_node=8"));
    assert!(sixty_four < eight && sixty_four > eight / 8.0 * 0.99, "8: {eight}, 64: {sixty_four}");
    assert!(hours("efficiency=tuned") < hours("efficiency=typical"));
    let r = report(&format!("{BASE}&mfu=0.4"));
    assert!((r.plans[0].mfu.unwrap() - 0.4).abs() < 1e-9);
    // A longer sequence costs more per token (attention).
    assert!(hours("seq=8192") > hours("seq=1024"));
}

/// A link's batch is the whole step's: 8 GPUs at batch 512 run what one GPU at batch 64 runs, so each GPU's
/// power and throughput are the same (time differs by the GPUs and their scaling only).
#[test]
fn the_batch_is_shared_by_the_gpus() {
    for (arch, batch) in [("tv-resnet50", 64), ("llama-3.1-8b", 4)] {
        let one = report(&format!("arch={arch}&gpu=nvidia-h100-sxm&samples=1M&epochs=1&precision=bf16&batch={batch}"));
        let eight = report(&format!(
            "arch={arch}&gpu=nvidia-h100-sxm&samples=1M&epochs=1&precision=bf16&batch={}&n_gpus=8",
            batch * 8
        ));
        let (a, b) = (headline(&one), headline(&eight));
        let power = |e: &estimator::Estimate, n: f64| e.energy_kwh.unwrap() / e.duration_h.unwrap() / n;
        assert!((power(a, 1.0) - power(b, 8.0)).abs() < 1e-9 * power(a, 1.0), "{arch}: per-GPU power {a:?} {b:?}");
        let gpu_hours = |e: &estimator::Estimate, n: f64| e.duration_h.unwrap() * n;
        let ratio = gpu_hours(b, 8.0) / gpu_hours(a, 1.0);
        assert!((1.0..1.5).contains(&ratio), "{arch}: 8 GPUs take {ratio}× the GPU-hours of one");
    }
}

/// An estimated duration comes with its 80 % interval (from the throughput's held-out errors: GPU-hours and
/// their cost scale with it); a duration the user gives, or a utilisation the user states, has none.
#[test]
fn an_estimated_duration_has_an_interval() {
    for (extra, interval) in [
        ("mode=lora", true),
        ("mode=pretrain&efficiency=tuned&n_gpus=64&gpus_per_node=8", true),
        ("mode=lora&hours=10", false),
        ("mode=lora&mfu=0.4", false),
    ] {
        let q = format!("{BASE}&{extra}");
        let r = report(&q);
        let h = headline(&r);
        let d = h.duration_h.unwrap();
        match (interval, h.duration_low_h.zip(h.duration_high_h)) {
            (true, Some((lo, hi))) => assert!(lo < d && d < hi && hi / lo > 1.1, "{q}: {lo}–{hi} around {d}"),
            (false, None) => {}
            (_, got) => panic!("{q}: interval {got:?}"),
        }
    }
}

/// Over several servers, a run of hours loses what MLPerf's time-to-train runs lose per doubling of theirs, its
/// GPUs draw less while they wait, and its interval holds the held-out spread of that loss; a run of months over
/// the same servers loses nothing to it.
#[test]
fn strong_scaling_slows_short_runs_over_servers_not_long_ones() {
    let cal = Calibration::embedded().unwrap();
    let scaling = &cal.backbone.as_ref().unwrap().scaling;
    let per_doubling = scaling.across_per_doubling.unwrap();
    assert!((0.8..1.0).contains(&per_doubling), "{per_doubling}");
    // (GPU-hours, device kWh per GPU-hour, interval high ÷ estimate, the plan's scaling).
    let run = |extra: &str| {
        let base = if extra.contains("samples=") { BASE.replace("&samples=100M", "") } else { BASE.to_string() };
        let r = report(&format!("{base}&mode=pretrain&efficiency=tuned&zero=1&{extra}"));
        let h = headline(&r).clone();
        let sc = r.plans.iter().find(|p| p.gpu == "nvidia-h100-sxm").unwrap().scaling.clone().unwrap();
        let gpu_hours = h.duration_h.unwrap() * f64::from(sc.n_gpus);
        (gpu_hours, h.energy_kwh.unwrap() / gpu_hours, h.duration_high_h.unwrap() / h.duration_h.unwrap(), sc)
    };
    let (one_gpu_hours, one_kw, one_high, one) = run("n_gpus=8");
    let (eight_gpu_hours, eight_kw, eight_high, eight) = run("nodes=8&gpus_per_node=8");
    assert_eq!((one.nodes, one.strong, eight.nodes), (1, 1.0, 8));
    assert_eq!(eight.across_nodes, 1.0, "the exchange hides behind the backward pass here");
    assert!(one_gpu_hours / 8.0 < 24.0, "a run of hours: {one_gpu_hours} GPU-hours");
    assert!((eight.strong - per_doubling.powi(3)).abs() < 1e-9, "{} over 8 servers", eight.strong);
    assert!((one_gpu_hours / eight_gpu_hours - eight.strong).abs() < 1e-9, "{one_gpu_hours} vs {eight_gpu_hours}");
    let waiting = 1.0 - eight.strong;
    let expected = one_kw * eight.strong + waiting * estimator::methods::cluster::WAIT_POWER_FRACTION * 0.7;
    assert!((eight_kw - expected).abs() < 1e-9 && eight_kw < one_kw, "{one_kw} → {eight_kw} kW per GPU");
    assert!(eight_high > one_high, "slow end {one_high} → {eight_high}");
    // A hundred thousand times the tokens: months of training on 64 GPUs, full batches on every GPU.
    let long = |extra: &str| run(&format!("{extra}&samples=10000000000000"));
    let ((long_one, _, _, _), (long_eight, _, _, sc)) = (long("n_gpus=8"), long("nodes=8&gpus_per_node=8"));
    assert_eq!(sc.strong, 1.0);
    assert!((long_eight / long_one - 1.0).abs() < 1e-9, "{long_one} vs {long_eight}");
}

/// An 8B full fine-tune does not fit on one 80 GB GPU, says how many it needs with ZeRO-3, and on 8 GPUs names the
/// lowest sharding that holds it; a LoRA of it fits on one.
#[test]
fn memory_fit_of_an_8b_model() {
    let fit = |extra: &str| report(&format!("{BASE}&{extra}")).plans[0].memory.clone().unwrap();
    let one = fit("mode=finetune&n_gpus=1");
    assert!(!one.fits && one.need.total_gb() > 128.0, "{one:?}");
    let k = one.min_gpus_zero3.unwrap();
    assert!((2..=8).contains(&k), "needs {k}");
    assert!(one.verdict().contains(&format!("needs ≥ {k} GPUs")));
    assert_eq!(one.fits_at_zero, None, "no sharding holds it on one GPU");
    // On 8 GPUs, replicated: the run has the GPUs, sharding is what is missing, and the lowest stage that holds it
    // is the one the verdict names (each stage checked: it fits there and not one below).
    let replicated = fit("mode=finetune&n_gpus=8&zero=0");
    assert!(!replicated.fits, "plain data parallelism replicates everything");
    let stage = replicated.fits_at_zero.expect("some stage holds it on 8 GPUs");
    assert!(fit(&format!("mode=finetune&n_gpus=8&zero={}", stage.stage())).fits);
    assert!(!fit(&format!("mode=finetune&n_gpus=8&zero={}", stage.stage() - 1)).fits);
    let v = replicated.verdict();
    assert!(v.contains(&format!("on its 8 GPUs it fits with zero={}", stage.stage())), "{v}");
    assert!(!one.verdict().contains("on its"), "{}", one.verdict());
    assert!(fit("mode=lora&n_gpus=1").fits);
}

/// GPUs only versus whole servers: the same GPU energy, the hosts added only with `scope=server`, and a link
/// without `scope` keeps counting the GPUs alone.
#[test]
fn scope_decides_what_carbon_counts() {
    let gpu = headline(&report(&format!("{BASE}&scope=gpu"))).clone();
    let server = headline(&report(BASE)).clone();
    let old = headline(&report(&BASE.replace("&scope=server", ""))).clone();
    assert_eq!(gpu.energy_kwh, server.energy_kwh);
    assert_eq!(gpu.scope_kwh, gpu.energy_kwh);
    assert!(server.co2e_kg.unwrap() > gpu.co2e_kg.unwrap());
    assert_eq!(old.co2e_kg, gpu.co2e_kg);
}

/// PRE energy predicts joules per image: for every model counted in tokens it gives no number and says why;
/// for an image model it gives one. PRE power (a fraction of the power limit) serves both.
#[test]
fn pre_energy_is_only_for_models_counted_in_images() {
    let catalog = Catalog::embedded().unwrap();
    for arch in &catalog.archs.architectures {
        let q = format!("arch={}&gpu=nvidia-h100-sxm&samples=1M&epochs=1&precision=bf16", arch.id);
        let r = report(&q);
        let row = |m: MethodId| r.rows.iter().find(|e| e.method == m && e.gpu == "nvidia-h100-sxm").unwrap();
        let (pre_epoch, pre_power) = (row(MethodId::PreEpoch), row(MethodId::PrePower));
        let tokens = arch.sample_unit == estimator::catalog::SampleUnit::Token;
        assert_eq!(pre_epoch.energy_kwh.is_none(), tokens, "{q}: {pre_epoch:?}");
        assert_eq!(pre_epoch.warnings.iter().any(|w| w.contains("counted in tokens")), tokens, "{q}");
        assert!(pre_power.energy_kwh.is_some(), "{q}: {pre_power:?}");
    }
}

/// FP8 on a GPU with FP8 tensor cores is BF16's run with faster matrix products: tuned and framework code alike at
/// the middle of torchtitan's measured 1.28–1.62 × (the factor the tuned uplift counted MLPerf's FP8 rows by), with
/// a wider interval, at BF16's power per GPU and memory; the FLOPs formula at the FP8 peak. An A100 has no FP8: its
/// estimate is BF16's, and says so.
#[test]
fn fp8_is_bf16_with_faster_matrix_products() {
    let run = |gpu: &str, precision: &str, extra: &str| {
        let r = report(&format!(
            "arch=llama-3.1-8b&samples=100M&epochs=1&mode=pretrain&n_gpus=8&zero=1&scope=server&gpu={gpu}&precision={precision}&{extra}"
        ));
        let pick = |m: MethodId| r.rows.iter().find(|e| e.method == m && e.gpu == gpu).unwrap().clone();
        (pick(MethodId::Headline), pick(MethodId::Flops), r.plans[0].clone())
    };
    let power = |e: &estimator::Estimate| e.energy_kwh.unwrap() / e.duration_h.unwrap();
    let width = |e: &estimator::Estimate| e.duration_high_h.unwrap() / e.duration_low_h.unwrap();
    for (efficiency, speedup) in [("tuned", 1.44), ("typical", 1.44)] {
        let extra = format!("efficiency={efficiency}");
        let (bf16, bf16_flops, bf16_plan) = run("nvidia-h100-sxm", "bf16", &extra);
        let (fp8, fp8_flops, fp8_plan) = run("nvidia-h100-sxm", "fp8", &extra);
        let ratio = bf16.duration_h.unwrap() / fp8.duration_h.unwrap();
        assert!((ratio - speedup).abs() < 1e-9, "{efficiency}: FP8 {ratio} × faster");
        assert!((power(&bf16) / power(&fp8) - 1.0).abs() < 1e-9, "{efficiency}: GPU power {bf16:?} {fp8:?}");
        assert_eq!(bf16_plan.memory, fp8_plan.memory, "{efficiency}");
        assert!(
            fp8.warnings.iter().any(|w| w.starts_with("FP8: ") && w.contains("× BF16's speed")),
            "{:?}",
            fp8.warnings
        );
        let flops = bf16_flops.duration_h.unwrap() / fp8_flops.duration_h.unwrap();
        assert!((flops - 2.0).abs() < 1e-9, "FLOPs formula: {flops}");
        assert!(width(&fp8) > width(&bf16) * 1.01, "{efficiency} FP8's interval {} vs {}", width(&fp8), width(&bf16));
    }
    let (bf16, _, _) = run("nvidia-a100-sxm4-80gb", "bf16", "efficiency=tuned");
    let (fp8, _, _) = run("nvidia-a100-sxm4-80gb", "fp8", "efficiency=tuned");
    assert_eq!(bf16.duration_h, fp8.duration_h);
    assert!(
        fp8.warnings.iter().any(|w| w.contains("has no fp8 tensor figure: estimated at bf16")),
        "{:?}",
        fp8.warnings
    );
}
