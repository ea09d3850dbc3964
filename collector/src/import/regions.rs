//! Builds `data/regions.json` from public carbon-intensity and PUE tables: pure functions over text.
//!
//! - Countries: Our World in Data's carbon intensity of electricity, as tabulated by carbontracker (MIT).
//! - The world average: Green Algorithms' `CI_aggregated.csv` (CC BY 4.0).
//! - GCP regions: Google's yearly grid intensities per region (`collector/facts/gcp-region-carbon.csv`, the
//!   project's own table of Google's `region-carbon-info` figures, each row with its year and file); regions that
//!   table lacks keep CodeCarbon's tabulation (MIT) of Google's figures, without a year.
//! - AWS and Azure regions: ML CO2 Impact's `impact.csv` (MIT).
//! - PUE defaults: Green Algorithms' `defaults_PUE.csv` (CC BY 4.0), plus PUE 1 for a personal computer.

use estimator::catalog::{DataHeader, PueDefault, Region, RegionCatalog, RegionKind, SourceRef, SCHEMA_VERSION};

use super::catalog::GENERATED_BY;
use super::{ImportError, Table};

/// The source texts the region catalogue is built from.
pub struct RegionSources<'a> {
    /// carbontracker `carbon-intensities.csv`.
    pub countries_csv: &'a str,
    /// Green Algorithms `CI_aggregated.csv` (two header lines).
    pub ga_ci_csv: &'a str,
    /// Green Algorithms `defaults_PUE.csv` (two header lines).
    pub ga_pue_csv: &'a str,
    /// CodeCarbon `cloud_impact.csv`.
    pub codecarbon_cloud_csv: &'a str,
    /// The project's table of Google's yearly region figures (`region,location,year,grid_gco2_per_kwh,source`).
    pub gcp_yearly_csv: &'a str,
    /// ML CO2 Impact `impact.csv`.
    pub mlco2_impact_csv: &'a str,
}

fn sources() -> Vec<SourceRef> {
    let s = |id: &str, name: &str, url: &str, licence: &str, attribution: &str| SourceRef {
        id: id.into(),
        name: name.into(),
        url: url.into(),
        licence: licence.into(),
        attribution: attribution.into(),
    };
    vec![
        s(
            "owid-carbontracker",
            "Carbon intensity of electricity per country (Our World in Data, from Ember and the Energy Institute), as tabulated by carbontracker",
            "github:lfwa/carbontracker carbontracker/data/carbon-intensities.csv @8beb2b9dc124",
            "MIT (carbontracker); underlying data CC-BY-4.0 (Our World in Data)",
            "Our World in Data, Ember and Energy Institute, via carbontracker (Anthony, Kanding, Selvan 2020)",
        ),
        s(
            "green-algorithms",
            "Green Algorithms calculator reference data (CI_aggregated, defaults_PUE)",
            "github:GreenAlgorithms/green-algorithms-tool data/latest @30df2feead1c",
            "CC-BY-4.0",
            "Lannelongue, Grealey and Inouye (2021), Green Algorithms: Quantifying the Carbon Footprint of Computation, Advanced Science",
        ),
        s(
            "codecarbon-gcp",
            "Google Cloud region grid carbon intensity, as tabulated by CodeCarbon",
            "github:mlco2/codecarbon codecarbon/data/cloud/impact.csv @b05965e43b69 (from cloud.google.com/sustainability/region-carbon)",
            "MIT",
            "Google Cloud, via CodeCarbon",
        ),
        s(
            "google-region-carbon",
            "Carbon-free energy for Google Cloud regions: grid carbon intensity per region and year",
            "github:GoogleCloudPlatform/region-carbon-info data/yearly/<year>.csv (each region's year and commit in its detail)",
            "figures published by Google Cloud; the repository states no licence for them; used as facts with attribution",
            "Google Cloud, region-carbon-info",
        ),
        s(
            "mlco2-impact",
            "ML CO2 Impact calculator region data",
            "github:mlco2/impact data/impact.csv @d0d3ee5a71ea",
            "MIT",
            "Lacoste, Luccioni, Schmidt and Dandres (2019), Quantifying the Carbon Emissions of Machine Learning",
        ),
        s(
            "wattcast",
            "WattCast convention",
            "data/README.md",
            "MIT",
            "WattCast",
        ),
    ]
}

fn provider_name(id: &str) -> &str {
    match id {
        "aws" => "AWS",
        "gcp" => "Google Cloud",
        "azure" => "Azure",
        other => other,
    }
}

/// Builds the region catalogue.
pub fn regions_from_sources(src: &RegionSources<'_>, data_version: &str) -> Result<RegionCatalog, ImportError> {
    let mut regions = Vec::new();

    let ga = Table::parse_skipping("CI_aggregated.csv", src.ga_ci_csv, 1)?;
    let world = ga
        .rows()
        .find(|r| r.opt_text("location") == Some("WORLD"))
        .ok_or_else(|| ImportError::MissingColumn { file: "CI_aggregated.csv".into(), column: "WORLD row".into() })?;
    let world_year = world.opt_text("comments").and_then(year_in);
    regions.push(Region {
        id: "WORLD".into(),
        name: "World average".into(),
        kind: RegionKind::World,
        provider: None,
        intensity_g_per_kwh: intensity(&world, "carbonIntensity")?,
        year: world_year,
        source: "green-algorithms".into(),
        detail: world.opt_text("source").map(|s| format!("CI_aggregated.csv WORLD row ({s})")),
    });

    let countries = Table::parse("carbon-intensities.csv", src.countries_csv)?;
    for row in countries.rows() {
        let code = row.text("alpha-2")?;
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(row.invalid("alpha-2", code, "expected an ISO 3166 alpha-2 code"));
        }
        regions.push(Region {
            id: code.to_string(),
            name: row.text("Entity")?.to_string(),
            kind: RegionKind::Country,
            provider: None,
            intensity_g_per_kwh: round2(intensity(&row, "Carbon intensity of electricity (gCO2/kWh)")?),
            year: row.opt_num::<u16>("Year")?,
            source: "owid-carbontracker".into(),
            detail: None,
        });
    }

    let yearly = gcp_yearly(src.gcp_yearly_csv)?;
    let gcp = Table::parse("cloud_impact.csv", src.codecarbon_cloud_csv)?;
    let mut gcp_ids = Vec::new();
    for row in gcp.rows().filter(|r| r.opt_text("provider") == Some("gcp")) {
        let raw_id = row.text("region")?;
        // Upstream misspells one id; users will type Google's real one.
        let (region_id, detail) = match raw_id {
            "me-cenrtal1" => ("me-central1", Some("id corrected from the source's \"me-cenrtal1\"".to_string())),
            other => (other, None),
        };
        let mut region = cloud_region("gcp", region_id, &row, "impact", "country_name", "codecarbon-gcp", detail)?;
        if let Some(y) = yearly.iter().find(|y| y.region == region_id) {
            y.apply(&mut region);
        }
        gcp_ids.push(region_id.to_string());
        regions.push(region);
    }
    // Regions Google publishes that CodeCarbon's table does not have yet.
    for y in yearly.iter().filter(|y| !gcp_ids.contains(&y.region)) {
        let mut region = Region {
            id: format!("gcp:{}", y.region),
            name: format!("Google Cloud {} ({})", y.region, y.location),
            kind: RegionKind::Cloud,
            provider: Some("gcp".into()),
            intensity_g_per_kwh: 0.0,
            year: None,
            source: String::new(),
            detail: None,
        };
        y.apply(&mut region);
        regions.push(region);
    }

    let mlco2 = Table::parse("impact.csv", src.mlco2_impact_csv)?;
    for row in mlco2.rows() {
        let provider = row.text("provider")?;
        if provider != "aws" && provider != "azure" {
            continue;
        }
        let detail = row.opt_text("source").map(|s| format!("source given: {s}"));
        regions.push(cloud_region(provider, row.text("region")?, &row, "impact", "country", "mlco2-impact", detail)?);
    }

    let pue_table = Table::parse_skipping("defaults_PUE.csv", src.ga_pue_csv, 1)?;
    let mut pue_defaults = Vec::new();
    for row in pue_table.rows() {
        let provider = row.text("provider")?;
        let (id, name) = match provider {
            "Unknown" => ("on-premise".to_string(), "On-premise data centre (global average)".to_string()),
            p => (p.to_ascii_lowercase(), provider_name(&p.to_ascii_lowercase()).to_string()),
        };
        let pue = row.opt_num::<f64>("PUE")?.ok_or_else(|| row.invalid("PUE", "", "required"))?;
        if !(pue.is_finite() && pue >= 1.0) {
            return Err(row.invalid("PUE", &pue.to_string(), "expected a number ≥ 1"));
        }
        pue_defaults.push(PueDefault {
            id,
            name,
            pue,
            source: "green-algorithms".into(),
            detail: row.opt_text("source").map(|s| format!("defaults_PUE.csv ({s})")),
        });
    }
    pue_defaults.push(PueDefault {
        id: "personal-computer".into(),
        name: "Personal computer".into(),
        pue: 1.0,
        source: "wattcast".into(),
        detail: Some("no data-centre overhead: cooling and power distribution are not counted for a desktop".into()),
    });

    Ok(RegionCatalog {
        header: DataHeader {
            schema_version: SCHEMA_VERSION,
            data_version: data_version.to_string(),
            generated_by: GENERATED_BY.into(),
            sources: sources(),
        },
        pue_defaults,
        regions,
    })
}

fn cloud_region(
    provider: &str,
    region_id: &str,
    row: &super::Row<'_>,
    intensity_col: &str,
    country_col: &str,
    source: &str,
    detail: Option<String>,
) -> Result<Region, ImportError> {
    let place = [row.opt_text("city"), row.opt_text("state"), row.opt_text(country_col)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Region {
        id: format!("{provider}:{region_id}"),
        name: if place.is_empty() {
            format!("{} {region_id}", provider_name(provider))
        } else {
            format!("{} {region_id} ({place})", provider_name(provider))
        },
        kind: RegionKind::Cloud,
        provider: Some(provider.to_string()),
        intensity_g_per_kwh: round2(intensity(row, intensity_col)?),
        year: None,
        source: source.into(),
        detail,
    })
}

/// One row of the project's table of Google's yearly region figures.
struct GcpYear {
    region: String,
    location: String,
    year: u16,
    intensity_g_per_kwh: f64,
    source: String,
}

impl GcpYear {
    /// Google's own figure, its year and the file it was read from replace what the region had.
    fn apply(&self, region: &mut Region) {
        region.intensity_g_per_kwh = self.intensity_g_per_kwh;
        region.year = Some(self.year);
        region.source = "google-region-carbon".into();
        region.detail = Some(self.source.clone());
    }
}

/// Reads `gcp-region-carbon.csv`: one row per region, the newest year Google published for it.
fn gcp_yearly(text: &str) -> Result<Vec<GcpYear>, ImportError> {
    let table = Table::parse("gcp-region-carbon.csv", text)?;
    let mut out: Vec<GcpYear> = Vec::new();
    for row in table.rows() {
        let region = row.text("region")?;
        if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(row.invalid("region", region, "expected a Google Cloud region id such as europe-west9"));
        }
        if out.iter().any(|y| y.region == region) {
            return Err(row.invalid("region", region, "listed twice"));
        }
        let year = row.opt_num::<u16>("year")?.ok_or_else(|| row.invalid("year", "", "required"))?;
        if !(2019..2100).contains(&year) {
            return Err(row.invalid("year", &year.to_string(), "expected a year from 2019 (Google's first) on"));
        }
        out.push(GcpYear {
            region: region.to_string(),
            location: row.text("location")?.to_string(),
            year,
            intensity_g_per_kwh: round2(intensity(&row, "grid_gco2_per_kwh")?),
            source: row.text("source")?.to_string(),
        });
    }
    Ok(out)
}

fn intensity(row: &super::Row<'_>, column: &str) -> Result<f64, ImportError> {
    match row.opt_num::<f64>(column)? {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Some(x) => Err(row.invalid(column, &x.to_string(), "expected gCO2e/kWh ≥ 0")),
        None => Err(row.invalid(column, "", "required")),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The first four-digit year (19xx/20xx) in a text such as "Data from 2019".
fn year_in(text: &str) -> Option<u16> {
    text.as_bytes()
        .windows(4)
        .filter_map(|w| std::str::from_utf8(w).ok())
        .filter_map(|w| w.parse::<u16>().ok())
        .find(|y| (1990..2100).contains(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> RegionSources<'static> {
        RegionSources {
            countries_csv: "alpha-2,Entity,Code,Year,Carbon intensity of electricity (gCO2/kWh)\nFR,France,FRA,2022,85.0123\nSE,Sweden,SWE,2023,41\n",
            ga_ci_csv: "index,,,,in gCO2e/kWh,,,\nlocation,continentName,countryName,regionName,carbonIntensity,Type,source,comments\nWORLD,World,Any,Any,475,World,iea,Data from 2019\n",
            ga_pue_csv: "index,>1,\nprovider,PUE,source\nUnknown,1.56,uptime\naws,1.2,x\n",
            codecarbon_cloud_csv: "\u{feff}provider,providerName,offsetRatio,region,regionName,country_name,countryIsoCode,state,city,impact,source,comment\ngcp,Google,100,me-cenrtal1,,Qatar,QAT,,Doha,575,g,\n",
            mlco2_impact_csv: "provider,providerName,offsetRatio,region,regionName,country,state,city,impact,source,PUE,PUE source,comment\naws,AWS,0,us-east-1,,USA,Virginia,,367.8,eGRID,,,\novh,OVH,0,gra,,France,,,105,x,,,\n",
            gcp_yearly_csv: "region,location,year,grid_gco2_per_kwh,source\nme-central1,Doha,2023,575,y/2023.csv\neurope-north2,Stockholm,2024,2.73,y/2024.csv\n",
        }
    }

    #[test]
    fn builds_world_countries_clouds_and_pue() {
        let c = regions_from_sources(&fixture(), "9").unwrap();
        let ids: Vec<&str> = c.regions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["WORLD", "FR", "SE", "gcp:me-central1", "gcp:europe-north2", "aws:us-east-1"]);
        assert_eq!(c.regions[0].year, Some(2019));
        // Google's own yearly figure gives the GCP regions a year and a source; a region CodeCarbon lacks is added.
        let gcp: Vec<(Option<u16>, f64, &str, &str)> = c.regions[3..5]
            .iter()
            .map(|r| (r.year, r.intensity_g_per_kwh, r.source.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(
            gcp,
            [
                (Some(2023), 575.0, "google-region-carbon", "Google Cloud me-central1 (Doha, Qatar)"),
                (Some(2024), 2.73, "google-region-carbon", "Google Cloud europe-north2 (Stockholm)")
            ]
        );
        assert!(c.header.sources.iter().any(|s| s.id == "google-region-carbon"));
        // An AWS region has no year in its source.
        assert_eq!(c.regions[5].year, None);
        assert_eq!(c.regions[1].intensity_g_per_kwh, 85.01);
        assert_eq!(c.regions[5].name, "AWS us-east-1 (Virginia, USA)");
        let pue: Vec<(&str, f64)> = c.pue_defaults.iter().map(|p| (p.id.as_str(), p.pue)).collect();
        assert_eq!(pue, [("on-premise", 1.56), ("aws", 1.2), ("personal-computer", 1.0)]);
    }

    #[test]
    fn bad_cells_are_named() {
        let mut f = fixture();
        f.countries_csv =
            "alpha-2,Entity,Code,Year,Carbon intensity of electricity (gCO2/kWh)\nFR,France,FRA,2022,-3\n";
        let e = regions_from_sources(&f, "9").unwrap_err().to_string();
        assert!(e.contains("carbon-intensities.csv line 2") && e.contains("\"-3\""), "{e}");
        for (yearly, cell) in [
            ("region,location,year,grid_gco2_per_kwh,source\nus-west1,Oregon,,79,x\n", "year"),
            ("region,location,year,grid_gco2_per_kwh,source\nus-west1,Oregon,1999,79,x\n", "\"1999\""),
            ("region,location,year,grid_gco2_per_kwh,source\nUS West,Oregon,2024,79,x\n", "\"US West\""),
            ("region,location,year,grid_gco2_per_kwh,source\nus-west1,Oregon,2024,-1,x\n", "\"-1\""),
            ("region,location,year,grid_gco2_per_kwh,source\nus-west1,O,2024,1,x\nus-west1,O,2023,2,x\n", "twice"),
        ] {
            let mut f = fixture();
            f.gcp_yearly_csv = yearly;
            let e = regions_from_sources(&f, "9").unwrap_err().to_string();
            assert!(e.contains("gcp-region-carbon.csv") && e.contains(cell), "{cell}: {e}");
        }
    }
}
