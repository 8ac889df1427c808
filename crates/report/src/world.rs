//! Country outlines for the world map (Natural Earth 1:110m, public domain,
//! vendored by `scripts/vendor-world-map`) and how shop country names map
//! onto them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const WORLD: &str = include_str!("../assets/world-110m.json");

#[derive(Deserialize)]
struct World {
    countries: Vec<Country>,
}

/// One country: its Natural Earth name and rings of `[lon, lat, …]`.
#[derive(Deserialize)]
pub struct Country {
    pub name: String,
    pub rings: Vec<Vec<f64>>,
}

/// Every country outline, parsed once.
pub fn countries() -> &'static [Country] {
    static WORLD_MAP: OnceLock<Vec<Country>> = OnceLock::new();
    WORLD_MAP.get_or_init(|| serde_json::from_str::<World>(WORLD).expect("the vendored world map parses").countries)
}

/// Where a shop's country name goes on the map.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A country outline (by Natural Earth name).
    Outline(String),
    /// Too small for the 1:110m outlines: a dot at (lon, lat).
    Dot(f64, f64),
    /// Not one place (`European Community`, `Unspecified`, null).
    Nowhere,
}

/// Resolves the names UCI-style exports use: `EIRE`, `RSA`, `USA`,
/// `Channel Islands`, `Czech Republic`… Unknown names are `Nowhere`, and the
/// report lists them under the map rather than dropping them silently.
pub fn place(country: &str) -> Place {
    let aliases: HashMap<&str, &str> = [
        ("eire", "Ireland"),
        ("republic of ireland", "Ireland"),
        ("rsa", "South Africa"),
        ("usa", "United States of America"),
        ("united states", "United States of America"),
        ("us", "United States of America"),
        ("uk", "United Kingdom"),
        ("great britain", "United Kingdom"),
        ("czech republic", "Czechia"),
        ("korea", "South Korea"),
        ("bosnia and herzegovina", "Bosnia and Herz."),
        ("north macedonia", "Macedonia"),
        ("dominican republic", "Dominican Rep."),
    ]
    .into_iter()
    .collect();
    let dots: HashMap<&str, (f64, f64)> = [
        ("channel islands", (-2.2, 49.3)),
        ("singapore", (103.8, 1.35)),
        ("hong kong", (114.2, 22.3)),
        ("bahrain", (50.55, 26.05)),
        ("malta", (14.4, 35.9)),
        ("iceland", (-19.0, 64.9)),
        ("luxembourg", (6.1, 49.8)),
        ("monaco", (7.42, 43.74)),
        ("liechtenstein", (9.55, 47.16)),
        ("andorra", (1.52, 42.5)),
        ("san marino", (12.46, 43.94)),
        ("gibraltar", (-5.35, 36.14)),
        ("isle of man", (-4.5, 54.2)),
        ("mauritius", (57.55, -20.3)),
        ("barbados", (-59.55, 13.17)),
        ("bermuda", (-64.75, 32.3)),
    ]
    .into_iter()
    .collect();
    let key = country.trim().to_lowercase();
    let name = aliases.get(key.as_str()).copied().unwrap_or(country.trim());
    if let Some(found) = countries().iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
        return Place::Outline(found.name.clone());
    }
    match dots.get(key.as_str()) {
        Some(&(lon, lat)) => Place::Dot(lon, lat),
        None => Place::Nowhere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_the_uci_country_names() {
        assert_eq!(place("EIRE"), Place::Outline("Ireland".into()));
        assert_eq!(place("RSA"), Place::Outline("South Africa".into()));
        assert_eq!(place("USA"), Place::Outline("United States of America".into()));
        assert_eq!(place("United Kingdom"), Place::Outline("United Kingdom".into()));
        assert_eq!(place("Czech Republic"), Place::Outline("Czechia".into()));
        assert!(matches!(place("Channel Islands"), Place::Dot(..)));
        assert!(matches!(place("Singapore"), Place::Dot(..)));
        assert_eq!(place("European Community"), Place::Nowhere);
        assert_eq!(place("Unspecified"), Place::Nowhere);
        assert!(countries().len() > 170);
    }
}
