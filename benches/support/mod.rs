//! Fixtures for `hot_paths`: an in-process blob-upload endpoint and a
//! synthetic matrix report. Neither is timed; both exist so the timed code is
//! the harness's own.

pub mod matrix;
pub mod upload_server;
