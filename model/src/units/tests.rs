use super::*;

#[test]
fn sizes_take_binary_decimal_and_plain_byte_counts() {
    let size = |text: &str| text.parse::<ByteSize>().map(ByteSize::bytes);
    assert_eq!(size("4096"), Ok(4096));
    assert_eq!(size("12B"), Ok(12));
    assert_eq!(size("5MiB"), Ok(5 << 20));
    assert_eq!(size(" 16 MiB "), Ok(16 << 20));
    assert_eq!(size("512k"), Ok(512 << 10));
    assert_eq!(size("1gib"), Ok(1 << 30));
    assert_eq!(size("500KB"), Ok(500_000));
    assert_eq!(size("1MB"), Ok(1_000_000));
    assert_eq!(size("2GB"), Ok(2_000_000_000));
    assert_eq!(size("0"), Ok(0));
    for bad in [
        "",
        "MiB",
        "kb",
        "1.5GiB",
        "-1",
        "+5",
        "5 fathoms",
        "99999999999999GiB",
    ] {
        assert!(bad.parse::<ByteSize>().is_err(), "{bad:?} accepted");
    }
}

#[test]
fn sizes_say_which_unit_they_used() {
    let unit = |text: &str| ByteSize::parse_with_unit(text).map(|(_, unit)| unit);
    assert_eq!(unit("7"), Ok(SizeUnit::Bytes));
    assert_eq!(unit("7MiB"), Ok(SizeUnit::Binary));
    assert_eq!(unit("7MB"), Ok(SizeUnit::Decimal));
}

#[test]
fn sizes_print_exactly_and_read_back() {
    assert_eq!(ByteSize(5 << 20).to_string(), "5MiB");
    assert_eq!(ByteSize(1 << 30).to_string(), "1GiB");
    assert_eq!(ByteSize(1536).to_string(), "1536B");
    assert_eq!(ByteSize(1_000_000).to_string(), "1000000B");
    assert_eq!(ByteSize(0).to_string(), "0B");
    for n in [0, 1, 1023, 1024, 5 << 20, 1_000_000, u64::MAX] {
        assert_eq!(ByteSize(n).to_string().parse(), Ok(ByteSize(n)));
    }
}

#[test]
fn durations_take_ms_s_m_h() {
    let ms = |text: &str| text.parse::<HumanDuration>().map(|d| d.0.as_millis());
    assert_eq!(ms("250ms"), Ok(250));
    assert_eq!(ms("90s"), Ok(90_000));
    assert_eq!(ms(" 5 m"), Ok(300_000));
    assert_eq!(ms("1h"), Ok(3_600_000));
    assert_eq!(ms("0s"), Ok(0));
    for bad in [
        "",
        "s",
        "90",
        "1.5s",
        "-1s",
        "+1s",
        "3 fortnights",
        "1d",
        "99999999999999999999h",
    ] {
        assert!(bad.parse::<HumanDuration>().is_err(), "{bad:?} accepted");
    }
}

#[test]
fn durations_print_in_the_largest_whole_unit_and_read_back() {
    let text = |ms| HumanDuration(Duration::from_millis(ms)).to_string();
    assert_eq!(text(90_000), "90s");
    assert_eq!(text(300_000), "5m");
    assert_eq!(text(7_200_000), "2h");
    assert_eq!(text(1_500), "1500ms");
    assert_eq!(text(0), "0ms");
    for ms in [0, 1, 999, 1_000, 61_000, 3_600_000] {
        let d = HumanDuration(Duration::from_millis(ms));
        assert_eq!(d.to_string().parse(), Ok(d));
    }
}

#[test]
fn errors_name_the_text_and_the_grammar() {
    let error = "3 fortnights".parse::<HumanDuration>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid duration \"3 fortnights\": use a number with ms, s, m or h (`90s`)"
    );
    let error = "lots".parse::<ByteSize>().unwrap_err();
    assert!(
        error.to_string().starts_with("invalid size \"lots\""),
        "{error}"
    );
}

#[test]
fn serde_reads_counts_and_text_and_writes_text() {
    let size: ByteSize = serde_json::from_str("1024").unwrap();
    assert_eq!(size, ByteSize(1024));
    let size: ByteSize = serde_json::from_str("\"5MiB\"").unwrap();
    assert_eq!(size, ByteSize(5 << 20));
    assert!(serde_json::from_str::<ByteSize>("-1").is_err());
    assert!(serde_json::from_str::<ByteSize>("\"5 parsecs\"").is_err());
    assert_eq!(serde_json::to_string(&size).unwrap(), "\"5MiB\"");
    let duration: HumanDuration = serde_json::from_str("\"90s\"").unwrap();
    assert_eq!(duration.0, Duration::from_secs(90));
    assert!(serde_json::from_str::<HumanDuration>("90").is_err());
    assert_eq!(serde_json::to_string(&duration).unwrap(), "\"90s\"");
}
