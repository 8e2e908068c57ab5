//! The crate's one error type. Every fallible public function returns [`Result`]; nothing that
//! takes user input panics (the wasm boundary turns these into `JsError`s with the same message).

/// Errors returned by incontext.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that violates a documented precondition: NaN/Inf, wrong dimensions, empty or
    /// oversized contexts, unknown names, negative weights. The message says which and why.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A weight or checkpoint file that is malformed: truncated, a missing or misshapen tensor,
    /// a wrong dtype, missing or unreadable metadata.
    #[error("invalid weights: {0}")]
    InvalidWeights(String),
    /// A numerical failure (non-finite loss, a matrix that is not positive definite).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// An error raised inside candle.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// A filesystem error, with the path involved.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A JSON/TOML (de)serialisation error.
    #[error("format error: {0}")]
    Format(String),
    /// A GPU failure (src/gpu/): no adapter, a device that refused a kernel, a lost device, a
    /// failed read-back.
    #[error("GPU: {0}")]
    Gpu(String),
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for `Err(Error::InvalidInput(..))`.
pub fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidInput(msg.into()))
}

/// Checks that every value is finite; `what` names the input in the error message.
///
/// # Errors
/// [`Error::InvalidInput`] naming the first non-finite entry's index.
pub fn ensure_finite(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => invalid(format!("{what}[{i}] is {} (must be finite)", values[i])),
    }
}

/// Reads a file, attaching the path to any I/O error.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io { path: path.display().to_string(), source })
}

/// Writes a file (creating parent folders), attaching the path to any I/O error.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}
