//! The in-context transformer (docs/SCIENCE.md, "The model: two encodings"): configuration, the
//! GPT-2 backbone with bar-distribution and family heads, losses, weight files, and the cached
//! inference session.

mod batch;
mod borders;
mod config;
mod input;
mod loss;
mod predictor;
mod session;
mod tokens;
mod transformer;
mod weights;

pub use batch::prompts_to_tensors;
pub use borders::bar_borders;
pub use config::{Encoding, ModelConfig};
pub use loss::{bar_nll, family_cross_entropy};
pub use predictor::TransformerPredictor;
#[cfg(feature = "webgpu")]
pub(crate) use session::f32_tensor;
pub use input::{MAX_ABS_INPUT, validate_context, validate_model_queries};
pub use session::InferenceSession;
pub use tokens::{Tokens, context_tokens, prompt_tokens, query_tokens};
pub use transformer::{HeadOutputs, IclTransformer};
pub use weights::{META_KEY, ModelMeta, load_model, parameter_count, read_meta, serialize_model};
