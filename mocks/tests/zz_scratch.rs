mod support;
use futures_util::stream;
use support::BLOB_HOST;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gib() {
    const SIZE: u64 = 1 << 30;
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    let client = support::client(&ca, &front_door.proxy_url());
    let t = std::time::Instant::now();
    let mut response = client.get(format!("https://{BLOB_HOST}/big?size={SIZE}")).send().await.unwrap();
    let mut n = 0u64;
    while let Some(c) = response.chunk().await.unwrap() { n += c.len() as u64; }
    assert_eq!(n, SIZE);
    eprintln!("GET 1GiB {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let chunk = bytes::Bytes::from(vec![7u8; 1 << 20]);
    let chunks = stream::iter((0..1024).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let body = reqwest::Body::wrap_stream(chunks);
    let r = client.put(format!("https://{BLOB_HOST}/c/x")).header("content-length", SIZE.to_string()).body(body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    eprintln!("PUT 1GiB {:?}", t.elapsed());
    let rec = front_door.traffic().snapshot();
    eprintln!("{:?}", rec.iter().map(|r| (r.request_bytes, r.response_bytes, r.duration)).collect::<Vec<_>>());
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    eprintln!("{}", status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join(" "));
}
