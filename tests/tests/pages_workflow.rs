//! The GitHub Pages workflow builds the site with the README's documented build command and publishes
//! `dist/`, the folder that command writes (CI runs the same command through `scripts/test`).

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)).unwrap()
}

#[test]
fn the_pages_workflow_runs_the_documented_build_and_publishes_dist() {
    let readme = read("README.md");
    let documented = readme
        .split("To build the static site only")
        .nth(1)
        .and_then(|s| s.split('`').nth(1))
        .expect("the README documents the build command");
    assert_eq!(documented, "scripts/setup && scripts/build");
    let workflow = read(".github/workflows/pages.yml");
    let runs: Vec<&str> = workflow.lines().filter_map(|l| l.trim().strip_prefix("- run: ")).collect();
    assert_eq!(runs, [documented], "the workflow's only command is the documented one");
    assert!(read("scripts/build").contains("mkdir -p dist"), "scripts/build writes dist/");
    let upload = workflow.split("actions/upload-pages-artifact").nth(1).expect("uploads a Pages artifact");
    assert!(upload.lines().take(3).any(|l| l.trim() == "path: dist"), "{upload}");
    assert!(workflow.contains("actions/deploy-pages"), "and deploys it");
}
