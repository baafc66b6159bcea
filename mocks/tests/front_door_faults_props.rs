//! Properties of the fault text syntax and of schedules: every expressible
//! rule survives a trip through its text; no input makes the parser panic,
//! and its errors point at a piece of the input; schedules hit exactly as
//! many requests as they promise, and a seed reproduces its decisions; a
//! request's Blob operation does not depend on the order of its query.

use std::time::Duration;

use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use proptest::prelude::*;
use regmatrix_mocks::front_door::{
    AckLost, AzureError, Bandwidth, BlobOp, BodyDirection, FaultAction, FaultParseErrorKind,
    FaultRule, HostPattern, Latency, Schedule, ScheduleState,
};
use tokio::time::Instant;

fn duration() -> impl Strategy<Value = Duration> {
    // The text holds whole milliseconds; spread over ms, s and m.
    prop_oneof![
        (0u64..10_000).prop_map(Duration::from_millis),
        (0u64..10_000).prop_map(Duration::from_secs),
        (0u64..1_000).prop_map(|m| Duration::from_secs(m * 60)),
    ]
}

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u64..1 << 20),
        (0u64..1 << 10).prop_map(|n| n << 20),
        (0u64..1 << 10).prop_map(|n| n * 1000),
    ]
}

fn azure_error() -> impl Strategy<Value = AzureError> {
    let status = prop::sample::select(vec![
        400u16, 403, 404, 408, 409, 412, 429, 500, 502, 503, 504,
    ]);
    (
        status,
        prop::option::of("[A-Z][A-Za-z0-9]{0,15}"),
        prop::option::of(duration()),
    )
        .prop_map(|(status, code, retry_after)| {
            let status = StatusCode::from_u16(status).unwrap();
            let code = code
                .or_else(|| AzureError::default_code(status).map(str::to_owned))
                .unwrap_or_else(|| "SomeError".to_owned());
            AzureError {
                status,
                code,
                retry_after,
            }
        })
}

fn action() -> impl Strategy<Value = FaultAction> {
    prop_oneof![
        Just(FaultAction::Reset),
        Just(FaultAction::Stall),
        Just(FaultAction::Blackhole),
        azure_error().prop_map(FaultAction::AzureError),
        (duration(), duration()).prop_map(|(a, b)| FaultAction::Latency(Latency {
            min: a.min(b),
            max: a.max(b)
        })),
        (
            any::<bool>(),
            size().prop_filter("a rate is above zero", |r| *r > 0)
        )
            .prop_map(|(up, bytes_per_second)| FaultAction::Bandwidth(Bandwidth {
                direction: if up {
                    BodyDirection::Request
                } else {
                    BodyDirection::Response
                },
                bytes_per_second,
            })),
        size().prop_map(|after| FaultAction::ResetMidBody { after }),
        size().prop_map(|after| FaultAction::Truncate { after }),
        Just(FaultAction::AckLost(AckLost::Reset)),
        azure_error().prop_map(|error| FaultAction::AckLost(AckLost::AzureError(error))),
    ]
}

fn ops() -> impl Strategy<Value = Vec<BlobOp>> {
    prop::collection::vec(prop::sample::select(BlobOp::ALL.to_vec()), 0..4)
}

fn schedule_term() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        any::<u64>().prop_map(Schedule::First),
        (1u64..).prop_map(Schedule::Every),
        (0.0f64..=1.0, any::<u64>()).prop_map(|(p, seed)| Schedule::Probability { p, seed }),
        (duration(), duration()).prop_map(|(start, length)| Schedule::Window { start, length }),
    ]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        Just(Schedule::Always),
        schedule_term(),
        prop::collection::vec(schedule_term(), 2..5).prop_map(Schedule::All),
    ]
}

fn host() -> impl Strategy<Value = HostPattern> {
    prop_oneof![
        "[a-z0-9]{1,8}(\\.[a-z0-9-]{1,8}){0,3}",
        "\\*\\.[a-z]{1,8}\\.[a-z]{2,5}",
        Just("169.254.169.254".to_owned()),
    ]
    .prop_map(|text| HostPattern::parse(&text).unwrap())
}

fn rule() -> impl Strategy<Value = FaultRule> {
    let method = prop::sample::select(vec![
        Method::GET,
        Method::PUT,
        Method::POST,
        Method::HEAD,
        Method::DELETE,
        Method::PATCH,
    ]);
    (
        "[a-zA-Z0-9_.:-]{1,20}",
        host(),
        prop::option::of(method),
        prop::option::of("/[A-Za-z0-9/_.%-]{0,16}"),
        ops(),
        action(),
        schedule(),
    )
        .prop_map(
            |(name, host, method, path_prefix, ops, action, schedule)| FaultRule {
                name,
                host,
                method,
                path_prefix,
                ops,
                action,
                schedule,
            },
        )
}

/// Errors name a piece of the input, quoted in the message.
fn assert_names_a_token(
    text: &str,
    result: Result<FaultRule, regmatrix_mocks::front_door::FaultParseError>,
) {
    if let Err(error) = result {
        assert!(
            error.to_string().contains(&format!("`{}`", error.token)),
            "{error}"
        );
        if !text.trim().is_empty() {
            assert!(!error.token.is_empty(), "{text:?}: {error}");
            assert!(text.contains(&error.token), "{text:?}: {error}");
        }
    }
}

fn decisions(schedule: &Schedule, requests: usize) -> Vec<bool> {
    let start = Instant::now();
    let mut state = ScheduleState::new(schedule, start);
    (0..requests).map(|_| state.decide(start)).collect()
}

proptest! {
    #[test]
    fn a_rule_survives_its_text(rule in rule()) {
        let text = rule.to_string();
        let parsed: FaultRule = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&parsed, &rule, "text: {}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn garbage_never_panics(text in "\\PC{0,80}") {
        assert_names_a_token(&text, text.parse::<FaultRule>());
    }

    #[test]
    fn near_miss_rules_never_panic_and_name_a_token(
        text in "(name|host|method|path|op|action|schedule|x)=[a-z0-9*.:,/+=|-]{0,24}( (host|action|schedule|path|op)=[a-z0-9*.:,/+=|-]{0,24}){0,4}"
    ) {
        assert_names_a_token(&text, text.parse::<FaultRule>());
    }

    #[test]
    fn one_mutated_byte_never_panics(rule in rule(), index in any::<prop::sample::Index>(), byte in 0x20u8..0x7f) {
        let mut text = rule.to_string().into_bytes();
        let at = index.index(text.len());
        text[at] = byte;
        let text = String::from_utf8(text).unwrap();
        assert_names_a_token(&text, text.parse::<FaultRule>());
    }

    #[test]
    fn ack_lost_with_anything_but_a_status_or_a_reset_is_refused(
        rule in rule(),
        answer in "[a-z-]{1,12}(:[a-z0-9:,.]{0,12})?",
    ) {
        prop_assume!(answer != "reset" && !answer.starts_with("status:"));
        let mut rule = rule;
        rule.action = FaultAction::AckLost(AckLost::Reset);
        let text = rule.to_string().replace("action=ack-lost:reset", &format!("action=ack-lost:{answer}"));
        let error = text.parse::<FaultRule>().unwrap_err();
        prop_assert_eq!(&error.kind, &FaultParseErrorKind::InvalidAckLost, "{}", text);
        prop_assert_eq!(&error.token, &answer);
        prop_assert!(error.to_string().contains("ack-lost:status:N"), "{}", error);
    }

    #[test]
    fn unknown_op_names_are_refused_by_name(
        rule in rule(),
        ops in ops(),
        bad in "[a-zA-Z_-]{1,16}",
        at in any::<prop::sample::Index>(),
    ) {
        prop_assume!(bad.parse::<BlobOp>().is_err());
        let mut names: Vec<String> = ops.iter().map(ToString::to_string).collect();
        names.insert(at.index(names.len() + 1), bad.clone());
        let mut rule = rule;
        rule.ops = Vec::new();
        let text = format!("{rule} op={}", names.join("|"));
        let error = text.parse::<FaultRule>().unwrap_err();
        prop_assert_eq!(&error.kind, &FaultParseErrorKind::UnknownOp, "{}", text);
        prop_assert_eq!(&error.token, &bad);
        prop_assert!(error.to_string().contains("put-block-list"), "{}", error);
    }

    #[test]
    fn an_op_does_not_depend_on_the_query_order(
        method in prop::sample::select(vec![Method::GET, Method::PUT, Method::HEAD, Method::DELETE]),
        comp in prop::option::of(prop::sample::select(vec!["appendblock", "block", "blocklist", "list", "metadata"])),
        container in any::<bool>(),
        extra in prop::collection::vec("(timeout|blockid|sig|se|prefix)=[A-Za-z0-9%]{0,8}", 0..4),
        blob_type in prop::option::of(prop::sample::select(vec!["BlockBlob", "AppendBlob", "PageBlob"])),
        copy in any::<bool>(),
        order in any::<prop::sample::Index>(),
    ) {
        let mut params = extra;
        if let Some(comp) = comp {
            params.push(format!("comp={comp}"));
        }
        if container {
            params.push("restype=container".to_owned());
        }
        let mut headers = HeaderMap::new();
        if let Some(blob_type) = blob_type {
            headers.insert("x-ms-blob-type", blob_type.parse().unwrap());
        }
        if copy {
            headers.insert("x-ms-copy-source", "https://a.blob.core.windows.net/c/b".parse().unwrap());
        }
        let query = |params: &[String]| (!params.is_empty()).then(|| params.join("&"));
        let first = BlobOp::of_request(&method, query(&params).as_deref(), &headers);
        if !params.is_empty() {
            let turn = order.index(params.len());
            params.rotate_left(turn);
        }
        let rotated = BlobOp::of_request(&method, query(&params).as_deref(), &headers);
        prop_assert_eq!(first, rotated);
        // The comp parameter decides the block operations whatever else is there.
        if method == Method::PUT && !container {
            let expected = match comp {
                Some("appendblock") => Some(BlobOp::AppendBlock),
                Some("block") => Some(BlobOp::PutBlock),
                Some("blocklist") => Some(BlobOp::PutBlockList),
                _ => first,
            };
            prop_assert_eq!(first, expected);
        }
    }

    #[test]
    fn first_n_hits_exactly_n_of_m(n in 0u64..200, m in 0usize..400) {
        let hits = decisions(&Schedule::First(n), m).iter().filter(|hit| **hit).count();
        prop_assert_eq!(hits as u64, n.min(m as u64));
    }

    #[test]
    fn every_k_hits_exactly_m_over_k(k in 1u64..50, m in 0usize..1_000) {
        let hits = decisions(&Schedule::Every(k), m).iter().filter(|hit| **hit).count();
        prop_assert_eq!(hits as u64, m as u64 / k);
    }
}

proptest! {
    // Each case draws 20,000 decisions twice; fewer cases keep this quick.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_seed_reproduces_its_decisions_at_its_rate(p in 0.0f64..=1.0, seed in any::<u64>()) {
        const REQUESTS: usize = 20_000;
        let schedule = Schedule::Probability { p, seed };
        let first = decisions(&schedule, REQUESTS);
        prop_assert_eq!(&first, &decisions(&schedule, REQUESTS));
        let rate = first.iter().filter(|hit| **hit).count() as f64 / REQUESTS as f64;
        // Five standard deviations at the worst p (0.5) is 0.018.
        prop_assert!((rate - p).abs() < 0.02, "p {} rate {}", p, rate);
    }
}

#[test]
fn empty_pieces_are_named_by_their_field() {
    // Found by the properties above: errors about an empty value once
    // named an empty token.
    for (text, token) in [
        ("method= host= action=", "host="),
        (
            "host=a.example action=status:400,,x",
            "action=status:400,,x",
        ),
        (
            "host=a.example action=reset schedule=first:1,",
            "schedule=first:1,",
        ),
    ] {
        let error = text.parse::<FaultRule>().unwrap_err();
        assert_eq!(error.token, token, "{text}: {error}");
    }
}

#[test]
fn different_seeds_give_different_sequences() {
    let run = |seed| decisions(&Schedule::Probability { p: 0.5, seed }, 256);
    assert_ne!(run(1), run(2));
    assert_eq!(run(42), run(42));
}
