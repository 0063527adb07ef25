//! Host client library.
