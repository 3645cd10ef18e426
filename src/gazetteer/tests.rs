use std::sync::OnceLock;

use super::*;

fn gazetteer() -> &'static Gazetteer {
    static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
    GAZETTEER.get_or_init(Gazetteer::bundled)
}

fn resolve(text: &str) -> Resolved {
    gazetteer()
        .resolve(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn bundled_data_is_all_there() {
    let g = gazetteer();
    assert_eq!(g.outcodes.len(), 2863);
    assert_eq!(g.sectors.len(), 10846);
    assert_eq!(g.places.len(), 5911);
    assert_eq!(g.unit_count(), 0);
}

#[test]
fn full_postcodes_fall_back_to_sector_then_outcode() {
    // Without unit data a full postcode resolves to its sector, however it was typed.
    for text in ["ll111aa", "LL11  1AA", "LL11 1"] {
        let r = resolve(text);
        assert_eq!((r.label.as_str(), r.kind), ("LL11 1", Kind::Sector), "{text}");
        assert_eq!((r.lat, r.lon, r.precision_km), (53.04772, -2.9959, 0.31));
    }
    // Sector 9 does not exist in LL11: the district answers.
    let r = resolve("LL11 9ZZ");
    assert_eq!(
        (r.label.as_str(), r.kind, r.precision_km),
        ("LL11", Kind::Outcode, 3.46)
    );
    assert_eq!(resolve("ll11").kind, Kind::Outcode);
    assert_eq!(resolve("ZE2").precision_km, 45.14);
    // Importers use the same lookup, without place names.
    assert_eq!(gazetteer().locate_postcode("LL11 1AA").unwrap().label, "LL11 1");
    assert_eq!(gazetteer().locate_postcode("Wrexham"), None);
    assert_eq!(
        gazetteer().locate_postcode("BT1 1AA"),
        None,
        "no Northern Ireland postcodes"
    );
}

#[test]
fn unit_postcodes_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("units.csv");
    std::fs::write(
        &path,
        "postcode,lat,lon,lad_code\nSW1A 1AA,51.50101,-0.14156,E09000033\nLL11 1AA,53.04,-2.99,W06000006\n",
    )
    .unwrap();
    let mut g = Gazetteer::bundled();
    assert_eq!(g.load_units(&path).unwrap(), 2);
    let r = g.resolve("sw1a1aa").unwrap();
    assert_eq!(
        (r.label.as_str(), r.kind, r.lat, r.lon, r.precision_km),
        ("SW1A 1AA", Kind::Postcode, 51.50101, -0.14156, UNIT_PRECISION_KM)
    );
    assert!(g.knows_unit("LL11 1AA"));
    // A unit missing from the file still falls back.
    assert_eq!(g.resolve("LL11 1AB").unwrap().kind, Kind::Sector);

    std::fs::write(&path, "postcode,lat,lon\nSW1A 1AA,north,west\n").unwrap();
    assert!(g.load_units(&path).is_err());
}

/// The whole GB file, when this machine has it (it is not in the repository).
#[test]
fn full_gb_postcode_file() {
    let path = Path::new("/work/shared/data/gb-postcodes.csv.gz");
    if !path.exists() {
        eprintln!("skipped: {} is not present", path.display());
        return;
    }
    let mut g = Gazetteer::bundled();
    assert!(g.load_units(path).unwrap() > 1_700_000);
    let r = g.resolve("SW1A 1AA").unwrap();
    assert_eq!((r.kind, r.lat, r.lon), (Kind::Postcode, 51.50101, -0.14156));
}

#[test]
fn welsh_and_scottish_places_ignoring_case_accents_and_punctuation() {
    for (text, label) in [
        ("Wrexham", "Wrexham, Wales"),
        ("rhosllannerchrugog", "Rhosllannerchrugog, Wrexham"),
        ("CAERNARFON", "Caernarfon, Gwynedd"),
        ("Caernarfôn", "Caernarfon, Gwynedd"),
        ("Llanfairfechan", "Llanfairfechan, Conwy"),
        ("Kirkcaldy", "Kirkcaldy, Fife"),
        ("Bo’ness", "Bo’ness, Falkirk"),
        ("bo'ness", "Bo’ness, Falkirk"),
        ("Boness", "Bo’ness, Falkirk"),
        ("  inverness ", "Inverness, Highland"),
        ("Stoke on Trent", "Stoke-on-Trent, England"),
    ] {
        let r = resolve(text);
        assert_eq!((r.label.as_str(), r.kind), (label, Kind::Place), "{text}");
    }
}

#[test]
fn ambiguous_names_rank_by_population_and_can_be_narrowed() {
    let g = gazetteer();
    let all = g.candidates("newport", 10).unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].label, "Newport, Wales");
    assert_eq!(all[1].label, "Newport, Isle of Wight");
    assert_eq!(resolve("Newport, Isle of Wight").lat, all[1].lat);
    assert_eq!(resolve("newport,pembrokeshire").label, "Newport, Pembrokeshire");
    assert_eq!(resolve("Bangor, Gwynedd").label, "Bangor, Gwynedd");
    assert!(g.resolve("Newport, Atlantis").is_err());
    // Bigger places are less precise points.
    assert!(all[0].precision_km > all[5].precision_km);
    assert_eq!(resolve("London").precision_km, 26.71);
}

#[test]
fn coordinates() {
    let r = resolve("53.04, -2.99");
    assert_eq!(
        (r.kind, r.lat, r.lon, r.precision_km),
        (Kind::Coordinates, 53.04, -2.99, 0.0)
    );
    assert_eq!(resolve("53.04,-2.99").label, "53.04, -2.99");
    assert_eq!(gazetteer().resolve("95,0"), Err(GeocodeError::OutOfRange));
    assert_eq!(gazetteer().resolve("NaN,0"), Err(GeocodeError::OutOfRange));
}

#[test]
fn unknown_input_gets_close_suggestions() {
    let g = gazetteer();
    let Err(GeocodeError::Unknown(s)) = g.resolve("Wrexam") else {
        panic!()
    };
    assert_eq!(s.first().map(String::as_str), Some("Wrexham"), "{s:?}");
    let Err(GeocodeError::Unknown(s)) = g.resolve("Lundon") else {
        panic!()
    };
    assert_eq!(s.first().map(String::as_str), Some("London"), "{s:?}");
    let Err(GeocodeError::Unknown(s)) = g.resolve("Kirkcaldie") else {
        panic!()
    };
    assert!(s.contains(&"Kirkcaldy".to_string()), "{s:?}");
    let Err(GeocodeError::Unknown(s)) = g.resolve("LL99 1AA") else {
        panic!()
    };
    assert!(!s.is_empty() && s.len() <= SUGGESTIONS, "{s:?}");
    assert!(s.iter().all(|c| strsim::levenshtein(c, "LL99") == 1), "{s:?}");
    let e = g.resolve("Wrexam").unwrap_err().to_string();
    assert!(e.contains("did you mean Wrexham"), "{e}");
    for junk in ["", "   ", "!!!", "zzzzzzzzzzzzqqq", "'", ",", "a,b"] {
        assert!(g.resolve(junk).is_err(), "{junk}");
    }
}

proptest::proptest! {
    /// Whatever is typed, resolving answers or refuses; it never panics.
    #[test]
    fn any_text_resolves_or_is_refused(text in "\\PC{0,24}") {
        let _ = gazetteer().resolve(&text);
    }

    /// Postcode-like text: a parsed postcode is canonical, so parsing it again gives it back.
    #[test]
    fn canonical_postcodes_parse_to_themselves(text in "[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9]?[A-Za-z]{0,2}") {
        if let Some(code) = Postcode::parse(&text) {
            proptest::prop_assert_eq!(Postcode::parse(code.as_str()), Some(code));
        }
    }
}
