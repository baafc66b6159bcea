//! Criterion benches of the harness hot paths land here.
fn main() {}
