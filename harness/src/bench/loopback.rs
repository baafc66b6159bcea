//! Raw loopback TCP throughput: the ceiling of every hop in the bench
//! (client -> registry -> front door -> Azurite are all loopback
//! connections). A sink reads each connection to its end and answers one
//! byte, so the time covers delivery, not just the sender's buffer.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::report::LoopbackFigure;
use super::stats::MB;

const BUFFER: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("loopback TCP measurement failed: {0}")]
pub struct LoopbackError(#[from] std::io::Error);

/// Sends `total_bytes` split over `streams` concurrent connections.
pub async fn measure(total_bytes: u64, streams: usize) -> Result<LoopbackFigure, LoopbackError> {
    let streams = streams.max(1);
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let sink = tokio::spawn(async move {
        let mut readers = tokio::task::JoinSet::new();
        for _ in 0..streams {
            let (mut socket, _) = listener.accept().await?;
            readers.spawn(async move {
                let mut buffer = vec![0u8; BUFFER];
                let mut received = 0u64;
                loop {
                    let n = socket.read(&mut buffer).await?;
                    if n == 0 {
                        break;
                    }
                    received += n as u64;
                }
                socket.write_all(&[1]).await?;
                Ok::<u64, std::io::Error>(received)
            });
        }
        let mut received = 0;
        while let Some(joined) = readers.join_next().await {
            received += joined.map_err(std::io::Error::other)??;
        }
        Ok::<u64, std::io::Error>(received)
    });
    let per_stream = total_bytes / streams as u64;
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..streams {
        senders.spawn(async move {
            let mut socket = TcpStream::connect(address).await?;
            let buffer = vec![0x5au8; BUFFER];
            let mut left = per_stream;
            while left > 0 {
                let n = left.min(BUFFER as u64) as usize;
                socket.write_all(&buffer[..n]).await?;
                left -= n as u64;
            }
            socket.shutdown().await?;
            let mut ack = [0u8; 1];
            socket.read_exact(&mut ack).await?;
            Ok::<(), std::io::Error>(())
        });
    }
    while let Some(joined) = senders.join_next().await {
        joined.map_err(std::io::Error::other)??;
    }
    let wall = started.elapsed().as_secs_f64();
    let received = sink.await.map_err(std::io::Error::other)??;
    Ok(LoopbackFigure {
        concurrency: streams,
        bytes: received,
        mb_per_s: received as f64 / MB / wall.max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_byte_arrives_and_is_counted() {
        let figure = measure(8 << 20, 4).await.unwrap();
        assert_eq!(figure.bytes, 8 << 20);
        assert_eq!(figure.concurrency, 4);
        assert!(figure.mb_per_s > 0.0);
    }
}
