//! Builds `data/gpus.json` and `data/architectures.json` from the maintainers' fact tables
//! (`catalog-facts/gpus.csv`, `catalog-facts/architectures.csv`): pure functions over CSV text.

use estimator::catalog::{
    ArchCatalog, Architecture, DataHeader, Gpu, GpuCatalog, SampleUnit, Segment, SourceRef, SCHEMA_VERSION,
};

use super::{ImportError, Row, Table};

/// Data version stamped on generated files unless `--data-version` says otherwise.
pub const DATA_VERSION: &str = "2026.12.04";

/// The command recorded in `generated_by`.
pub const GENERATED_BY: &str = "wattcast import catalog";

/// The file-level source: every entry names its own (a datasheet, documentation, public code).
fn facts_source() -> SourceRef {
    SourceRef {
        id: "catalog-facts".into(),
        name: "WattCast fact tables: figures read from vendor datasheets, documentation and public code, one source per entry".into(),
        url: "per entry: each entry's `source`".into(),
        licence: "facts; see each entry's source".into(),
        attribution: "Figures as published by the vendors and projects named in each entry's source".into(),
    }
}

/// Parses `gpus.csv`.
pub fn gpus_from_csv(text: &str, data_version: &str) -> Result<GpuCatalog, ImportError> {
    let table = Table::parse("gpus.csv", text)?;
    let mut gpus = Vec::new();
    for row in table.rows() {
        let form_factor = row.text("form_factor")?;
        let segment = if form_factor.contains("consumer") {
            Segment::Consumer
        } else if form_factor.contains("workstation") {
            Segment::Workstation
        } else {
            Segment::Datacenter
        };
        let mut nvml_names = Vec::new();
        let nvml = row.opt_text("nvml_name");
        if let Some(name) = nvml {
            nvml_names.push(name.to_string());
            if let Some(stripped) = name.strip_prefix("NVIDIA ") {
                nvml_names.push(stripped.to_string());
            }
        }
        gpus.push(Gpu {
            id: row.text("id")?.to_string(),
            vendor: row.text("vendor")?.to_string(),
            name: row.text("name")?.to_string(),
            architecture: row.text("architecture")?.to_string(),
            form_factor: form_factor.to_string(),
            segment,
            release_year: row.opt_num::<u16>("release_year")?,
            tdp_w: row.positive("tdp_w")?,
            fp32_tflops: row.positive("fp32_tflops")?,
            fp16_tensor_tflops: row.positive("fp16_tensor_tflops_dense")?,
            bf16_tensor_tflops: row.positive("bf16_tensor_tflops_dense")?,
            tf32_tensor_tflops: row.positive("tf32_tensor_tflops_dense")?,
            memory_gb: row.positive("memory_gb")?,
            memory_bandwidth_gbs: row.positive("memory_bandwidth_gbs")?,
            cores: row.opt_num::<u32>("cuda_cores_or_stream_processors")?,
            nvml_names,
            source: row.text("source")?.to_string(),
            notes: row.opt_text("notes").map(str::to_string),
        });
    }
    Ok(GpuCatalog {
        header: DataHeader {
            schema_version: SCHEMA_VERSION,
            data_version: data_version.to_string(),
            generated_by: GENERATED_BY.into(),
            sources: vec![facts_source()],
        },
        gpus,
    })
}

/// Fills specs that `gpus.csv` leaves empty from the project's own fact table
/// (`collector/facts/gpu-specs.csv`: power, FP32 and dense tensor peaks, memory, bandwidth, core count and
/// release year read from vendor whitepapers, datasheets and documentation, one source per row). A cell that
/// both tables give must agree, so the supplement can never silently override a sourced figure; the row's
/// source is appended to the entry's.
pub fn supplement_gpus(catalog: &mut GpuCatalog, text: &str) -> Result<(), ImportError> {
    let table = Table::parse("gpu-specs.csv", text)?;
    for row in table.rows() {
        let id = row.text("id")?;
        let gpu = catalog
            .gpus
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| row.invalid("id", id, "no GPU with this id in gpus.csv"))?;
        let figures: [(&str, &mut Option<f64>); 7] = [
            ("tdp_w", &mut gpu.tdp_w),
            ("fp32_tflops", &mut gpu.fp32_tflops),
            ("fp16_tensor_tflops_dense", &mut gpu.fp16_tensor_tflops),
            ("bf16_tensor_tflops_dense", &mut gpu.bf16_tensor_tflops),
            ("tf32_tensor_tflops_dense", &mut gpu.tf32_tensor_tflops),
            ("memory_gb", &mut gpu.memory_gb),
            ("memory_bandwidth_gbs", &mut gpu.memory_bandwidth_gbs),
        ];
        for (column, slot) in figures {
            fill(&row, column, row.positive(column)?, slot, |old, v| (old - v).abs() <= 1e-9 * old.abs())?;
        }
        fill(&row, "release_year", row.opt_num::<u16>("release_year")?, &mut gpu.release_year, |a, b| a == b)?;
        let cores = "cuda_cores_or_stream_processors";
        fill(&row, cores, row.opt_num::<u32>(cores)?, &mut gpu.cores, |a, b| a == b)?;
        gpu.source = format!("{}; {}", gpu.source, row.text("source")?);
    }
    Ok(())
}

/// Puts a supplement cell's value into an empty slot; a slot `gpus.csv` already filled must `agree`, else the
/// cell is refused by name, with the value it conflicts with.
fn fill<T: Copy + std::fmt::Display>(
    row: &Row<'_>,
    column: &str,
    value: Option<T>,
    slot: &mut Option<T>,
    agree: fn(T, T) -> bool,
) -> Result<(), ImportError> {
    match (value, *slot) {
        (Some(v), Some(old)) if !agree(old, v) => {
            Err(row.invalid(column, &v.to_string(), &format!("gpus.csv already gives {old}")))
        }
        (Some(v), _) => {
            *slot = Some(v);
            Ok(())
        }
        (None, _) => Ok(()),
    }
}

/// Adds transformer dimensions from the project's own fact table (`collector/facts/transformers.csv`: one
/// model configuration per row, with its source): to the architectures the catalogue has, and as new
/// entries for those it lacks. The row's parameter count, else the count the dimensions give, replaces a
/// nominal one; forward GFLOPs per token are recomputed from the shape at the default sequence length
/// (attention included), so every language model counts FLOPs one way.
pub fn supplement_transformers(catalog: &mut ArchCatalog, text: &str) -> Result<(), ImportError> {
    use estimator::catalog::{Experts, Mlp, Transformer};
    let table = Table::parse("transformers.csv", text)?;
    for row in table.rows() {
        let id = row.text("id")?;
        let count = |col: &str| row.count(col);
        let mlp = match row.text("mlp")? {
            "plain" => Mlp::Plain,
            "gated" => Mlp::Gated,
            other => return Err(row.invalid("mlp", other, "expected plain or gated")),
        };
        let tied = match row.text("tied")? {
            "yes" => true,
            "no" => false,
            other => return Err(row.invalid("tied", other, "expected yes or no")),
        };
        let experts = match (row.opt_text("experts"), row.opt_text("experts_active")) {
            (None, None) => None,
            _ => Some(Experts { total: count("experts")?, active: count("experts_active")? }),
        };
        let mut t = Transformer {
            layers: count("layers")?,
            d_model: count("d_model")?,
            heads: count("heads")?,
            kv_heads: count("kv_heads")?,
            head_dim: count("head_dim")?,
            ffn: count("ffn")?,
            mlp,
            vocab: count("vocab")?,
            context: count("context")?,
            experts,
            tied_embeddings: tied,
            active_params_m: 0.0,
        };
        let existing = catalog.architectures.iter().position(|a| a.id == id);
        // The published count where the row gives one, else the catalogue's, else what the dimensions give.
        let (total, active) = t.params_from_dims();
        let (total_m, how) =
            match (row.positive("params_total")?, existing.and_then(|i| catalog.architectures[i].params_m)) {
                (Some(p), _) => (p / 1e6, ""),
                (None, Some(p)) => (p, ""),
                (None, None) => (total / 1e6, " (parameters derived from the dimensions)"),
            };
        t.active_params_m = match (row.positive("params_active")?, t.experts) {
            (Some(a), _) => a / 1e6,
            (None, Some(_)) => active / 1e6,
            (None, None) => total_m,
        };
        let source = format!("{}{how}", row.text("source")?);
        let forward_gflops = t.forward_flops(t.default_seq()) / 1e9;
        let note = format!(
            "forward_gflops at {} tokens from the dimensions (Kaplan et al. 2020: 2 × weights per token + attention).",
            t.default_seq()
        );
        match existing {
            Some(i) => {
                let a = &mut catalog.architectures[i];
                a.params_m = Some(total_m);
                a.forward_gflops = Some(forward_gflops);
                a.source = format!("{}; {source}", a.source);
                a.notes = Some(note);
                a.transformer = Some(t);
            }
            None => catalog.architectures.push(Architecture {
                id: id.to_string(),
                name: row.text("name")?.to_string(),
                family: row.text("family")?.to_string(),
                task: row.text("task")?.to_string(),
                params_m: Some(total_m),
                forward_gflops: Some(forward_gflops),
                sample_unit: SampleUnit::Token,
                input_px: None,
                framework: "hf".into(),
                source,
                notes: Some(note),
                transformer: Some(t),
                activations_m: None,
            }),
        }
    }
    Ok(())
}

/// Adds activations per image from the project's own fact table (`collector/facts/timm-networks.csv`:
/// timm's count for the same network, with its source): at the table's image size, scaled by area to the
/// architecture's input size where they differ.
pub fn supplement_activations(catalog: &mut ArchCatalog, text: &str) -> Result<(), ImportError> {
    let table = Table::parse("timm-networks.csv", text)?;
    for row in table.rows() {
        let id = row.text("id")?;
        let a = catalog
            .architectures
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| row.invalid("id", id, "no architecture with this id in architectures.csv"))?;
        let Some(px) = a.input_px else { return Err(row.invalid("id", id, "not an image model")) };
        let (timm_px, m) = (row.count("timm_px")?, row.required_positive("timm_activations_m")?);
        let r = f64::from(px) / f64::from(timm_px);
        a.activations_m = Some(super::bench::round_sig(m * r * r, 4));
        a.source = format!("{}; activations: {}", a.source, row.text("source")?);
    }
    Ok(())
}

/// Parses `architectures.csv`.
pub fn architectures_from_csv(text: &str, data_version: &str) -> Result<ArchCatalog, ImportError> {
    let table = Table::parse("architectures.csv", text)?;
    let mut architectures = Vec::new();
    for row in table.rows() {
        let input = row.text("input")?;
        let (sample_unit, input_px) = if input.contains("token") {
            (SampleUnit::Token, None)
        } else {
            let (w, h) =
                input.split_once('x').ok_or_else(|| row.invalid("input", input, "expected WxH or 'per token'"))?;
            let (w, h) = (w.trim().parse::<u32>(), h.trim().parse::<u32>());
            match (w, h) {
                (Ok(w), Ok(h)) if w == h && w > 0 => (SampleUnit::Image, Some(w)),
                _ => return Err(row.invalid("input", input, "expected a square WxH size in pixels")),
            }
        };
        let mut notes: Vec<String> = row.opt_text("notes").map(str::to_string).into_iter().collect();
        if let (Some(ops), Some(unit)) = (row.opt_text("published_ops"), row.opt_text("published_ops_unit")) {
            notes.push(format!("Published figure: {ops} {unit}."));
        }
        architectures.push(Architecture {
            id: row.text("id")?.to_string(),
            name: row.text("name")?.to_string(),
            family: row.text("family")?.to_string(),
            task: row.text("task")?.to_string(),
            params_m: row.positive("params_millions")?,
            forward_gflops: row.positive("forward_gflops")?,
            sample_unit,
            input_px,
            framework: row.text("framework_reference")?.to_string(),
            source: row.text("source")?.to_string(),
            notes: if notes.is_empty() { None } else { Some(notes.join(" ")) },
            transformer: None,
            activations_m: None,
        });
    }
    Ok(ArchCatalog {
        header: DataHeader {
            schema_version: SCHEMA_VERSION,
            data_version: data_version.to_string(),
            generated_by: GENERATED_BY.into(),
            sources: vec![facts_source()],
        },
        flops_convention:
            "forward_gflops: GFLOPs of one forward pass per sample (per image at input_px, or per token), \
counting 1 multiply-add as 2 FLOPs; training ≈ 3 × forward"
                .into(),
        architectures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPUS: &str = "id,vendor,name,architecture,form_factor,release_year,tdp_w,fp32_tflops,fp16_tensor_tflops_dense,bf16_tensor_tflops_dense,tf32_tensor_tflops_dense,memory_gb,memory_bandwidth_gbs,cuda_cores_or_stream_processors,nvml_name,source,notes
gpu-a,NVIDIA,GeForce A,Ampere,consumer,2020,350,35.58,,,,24,936,10496,NVIDIA GeForce A,src-a,
gpu-b,Google,TPU B,TPU,tpu-chip (cloud),,,,197,,,16,819,,,src-b,\"no power, \"\"quoted\"\"\"
";

    #[test]
    fn supplement_fills_empty_specs_and_refuses_conflicts() {
        let mut c = gpus_from_csv(GPUS, "9").unwrap();
        const HEAD: &str = "id,release_year,tdp_w,fp32_tflops,fp16_tensor_tflops_dense,bf16_tensor_tflops_dense,\
                            tf32_tensor_tflops_dense,memory_gb,memory_bandwidth_gbs,cuda_cores_or_stream_processors,source\n";
        // gpu-a repeats its bandwidth, year and core count (agreeing); gpu-b gains a year, a power and a core count.
        let sup = format!("{HEAD}gpu-a,2020,,,71.2,71.2,35.6,,936,10496,whitepaper\ngpu-b,2023,170,,,,,,,4,docs\n");
        supplement_gpus(&mut c, &sup).unwrap();
        let a = &c.gpus[0];
        assert_eq!(
            (a.fp16_tensor_tflops, a.tf32_tensor_tflops, a.memory_bandwidth_gbs),
            (Some(71.2), Some(35.6), Some(936.0))
        );
        assert_eq!(a.source, "src-a; whitepaper");
        let b = &c.gpus[1];
        assert_eq!((b.release_year, b.tdp_w, b.fp32_tflops, b.cores), (Some(2023), Some(170.0), None, Some(4)));
        assert_eq!((b.fp16_tensor_tflops, b.memory_gb), (Some(197.0), Some(16.0)), "an empty cell leaves the figure");
        assert_eq!(b.source, "src-b; docs");
        for (row, column, value, old) in [
            ("gpu-a,,,,,,,,900,,x", "memory_bandwidth_gbs", "\"900\"", "936"),
            ("gpu-a,2021,,,,,,,,,x", "release_year", "\"2021\"", "2020"),
            ("gpu-a,,,,,,,,,10240,x", "cuda_cores_or_stream_processors", "\"10240\"", "10496"),
            ("gpu-b,,250,,,,,,,,x", "tdp_w", "\"250\"", "170"),
        ] {
            let e = supplement_gpus(&mut c, &format!("{HEAD}{row}\n")).unwrap_err().to_string();
            assert!(e.contains(column) && e.contains(value) && e.contains(old), "{e}");
        }
        let e = supplement_gpus(&mut c, &format!("{HEAD}gpu-b,twenty,,,,,,,,,x\n")).unwrap_err().to_string();
        assert!(e.contains("release_year") && e.contains("\"twenty\""), "{e}");
        let e = supplement_gpus(&mut c, &format!("{HEAD}gpu-z,,,,1,,,,,,x\n")).unwrap_err().to_string();
        assert!(e.contains("\"gpu-z\""), "{e}");
    }

    #[test]
    fn gpus_rows_map_to_entries() {
        let c = gpus_from_csv(GPUS, "9").unwrap();
        let a = &c.gpus[0];
        assert_eq!(a.segment, Segment::Consumer);
        assert_eq!(a.nvml_names, vec!["NVIDIA GeForce A".to_string(), "GeForce A".to_string()]);
        assert_eq!(a.tdp_w, Some(350.0));
        let b = &c.gpus[1];
        assert_eq!(b.tdp_w, None, "empty cell is unknown, not zero");
        assert_eq!(b.segment, Segment::Datacenter);
        assert_eq!(b.notes.as_deref(), Some("no power, \"quoted\""));
        assert_eq!(c.header.data_version, "9");
    }

    #[test]
    fn zero_and_garbage_are_errors_naming_the_cell() {
        let bad = GPUS.replace(",350,", ",0,");
        let e = gpus_from_csv(&bad, "9").unwrap_err().to_string();
        assert!(e.contains("tdp_w") && e.contains("\"0\"") && e.contains("gpu-a"), "{e}");
        let bad = GPUS.replace(",350,", ",lots,");
        assert!(gpus_from_csv(&bad, "9").unwrap_err().to_string().contains("\"lots\""));
    }

    #[test]
    fn architectures_inputs() {
        let csv = "id,name,family,task,params_millions,forward_gflops,input,framework_reference,source,notes,published_ops,published_ops_unit
m,M,cnn,image-classification,25.5,8.178,224x224,torchvision,s,n,4.089,GMACs
t,T,decoder-llm,nlp,124,0.25,per token,hf,s,,,
";
        let c = architectures_from_csv(csv, "9").unwrap();
        assert_eq!(c.architectures[0].input_px, Some(224));
        assert_eq!(c.architectures[0].notes.as_deref(), Some("n Published figure: 4.089 GMACs."));
        assert_eq!(c.architectures[1].sample_unit, SampleUnit::Token);
        let bad = csv.replace("224x224", "224x100");
        assert!(architectures_from_csv(&bad, "9").unwrap_err().to_string().contains("224x100"));
    }

    /// Transformer rows add their shape to an architecture the catalogue has (keeping its exact count) or a
    /// new one (with the published or derived count), recompute FLOPs per token, and refuse a bad cell by name.
    #[test]
    fn transformer_rows_add_shapes() {
        let archs = "id,name,family,task,params_millions,forward_gflops,input,framework_reference,source,notes,published_ops,published_ops_unit
t,T,decoder-llm,nlp,124.44,0.25,per token,hf,s,,,
";
        let dims = "id,name,family,task,layers,d_model,heads,kv_heads,head_dim,ffn,mlp,vocab,context,experts,experts_active,tied,params_total,params_active,source
t,,,,12,768,12,12,64,3072,plain,50257,1024,,,yes,,,cfg-t
moe,MoE,decoder-llm,nlp,2,64,4,2,16,128,gated,100,4096,8,2,no,,,cfg-moe
";
        let mut c = architectures_from_csv(archs, "9").unwrap();
        supplement_transformers(&mut c, dims).unwrap();
        let t = &c.architectures[0];
        assert_eq!((t.params_m, t.source.as_str()), (Some(124.44), "s; cfg-t"));
        let shape = t.transformer.as_ref().unwrap();
        assert_eq!((shape.layers, shape.context, shape.default_seq()), (12, 1024, 1024));
        assert!((t.forward_gflops.unwrap() - shape.forward_flops(1024) / 1e9).abs() < 1e-12);
        let moe = &c.architectures[1];
        let s = moe.transformer.as_ref().unwrap();
        let (total, active) = s.params_from_dims();
        assert_eq!((moe.params_m, s.active_params_m), (Some(total / 1e6), active / 1e6));
        assert!(moe.source.ends_with("(parameters derived from the dimensions)"));
        for (from, to, col) in
            [("plain", "wide", "mlp"), (",12,768,", ",0,768,", "layers"), (",yes,", ",maybe,", "tied")]
        {
            let err = supplement_transformers(&mut c.clone(), &dims.replacen(from, to, 1)).unwrap_err().to_string();
            assert!(err.contains(col), "{col}: {err}");
        }
    }
}
