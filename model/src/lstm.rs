use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, tanh};

/// Cell and hidden state of one LSTM layer, each `[batch, hidden]`.
#[derive(Debug, Clone)]
pub struct LstmState {
    pub cell: Tensor<2>,
    pub hidden: Tensor<2>,
}

/// An LSTM layer (PyTorch's gate equations) laid out for speed: the input projection of all
/// four gates is one matmul over every time step at once, so each step only adds one
/// `[batch, hidden] × [hidden, 4·hidden]` matmul. burn's own `Lstm` does eight per step.
#[derive(Module, Debug)]
pub struct FusedLstm {
    /// Input → gates (i, f, g, o), with the gate biases.
    input: Linear,
    /// Hidden → gates, no bias (the input projection carries it).
    recurrent: Linear,
    hidden: usize,
}

impl FusedLstm {
    pub fn new(d_input: usize, hidden: usize, device: &Device) -> Self {
        let input = LinearConfig::new(d_input, 4 * hidden).init(device);
        // Forget-gate bias 1: remember by default, the usual trick for faster, stabler starts.
        let bias = (0..4 * hidden)
            .map(|i| {
                if (hidden..2 * hidden).contains(&i) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect::<Vec<f32>>();
        let input = Linear {
            bias: Some(burn::module::Param::from_tensor(Tensor::from_floats(
                bias.as_slice(),
                device,
            ))),
            ..input
        };
        Self {
            input,
            recurrent: LinearConfig::new(hidden, 4 * hidden)
                .with_bias(false)
                .init(device),
            hidden,
        }
    }

    /// Runs the layer over `[batch, steps, d_input]` from `state` (zeros if `None`); returns
    /// the hidden state at every step, `[batch, steps, hidden]`, and the state after the last.
    pub fn forward(&self, input: Tensor<3>, state: Option<LstmState>) -> (Tensor<3>, LstmState) {
        let gates_in = self.input.forward(input);
        // Training and evaluation read whole sequences from the start: there, on flex and on
        // the GPU, the layer is one operation (`digitseq_kernels::lstm_layer`), same answers
        // and gradients.
        #[cfg(feature = "flex-training")]
        if state.is_none() {
            let weight = self.recurrent.weight.val();
            if let Some(states) = digitseq_kernels::lstm_layer(&gates_in, &weight) {
                let [batch, steps, _] = states.dims();
                let h = self.hidden;
                let last = states
                    .clone()
                    .slice(s![.., steps - 1, ..])
                    .reshape([batch, 2 * h]);
                let state = LstmState {
                    hidden: last.clone().slice(s![.., 0..h]),
                    cell: last.slice(s![.., h..2 * h]),
                };
                return (states.slice(s![.., .., 0..h]), state);
            }
        }
        self.steps(gates_in, state)
    }

    /// The recurrence in burn's operations, one step at a time, from the input projection's
    /// pre-activation gates `[batch, steps, 4·hidden]`.
    fn steps(&self, gates_in: Tensor<3>, state: Option<LstmState>) -> (Tensor<3>, LstmState) {
        let [batch, steps, _] = gates_in.dims();
        let device = gates_in.device();
        let LstmState {
            mut cell,
            mut hidden,
        } = state.unwrap_or_else(|| LstmState {
            cell: Tensor::zeros([batch, self.hidden], &device),
            hidden: Tensor::zeros([batch, self.hidden], &device),
        });
        let mut outputs = Vec::with_capacity(steps);
        for t in 0..steps {
            let gates = gates_in.clone().slice(s![.., t, ..]).squeeze_dim::<2>(1)
                + self.recurrent.forward(hidden);
            (hidden, cell) = step(gates, cell);
            outputs.push(hidden.clone());
        }
        (Tensor::stack(outputs, 1), LstmState { cell, hidden })
    }

    /// [`forward`](Self::forward) always in burn's operations, step by step: what the fast
    /// path is tested against.
    #[cfg(all(test, feature = "flex-training"))]
    pub(crate) fn forward_step_by_step(
        &self,
        input: Tensor<3>,
        state: Option<LstmState>,
    ) -> (Tensor<3>, LstmState) {
        self.steps(self.input.forward(input), state)
    }

    /// The input and recurrent weights, for tests of their gradients.
    #[cfg(all(test, feature = "flex-training"))]
    pub(crate) fn weights(&self) -> [Tensor<2>; 2] {
        [self.input.weight.val(), self.recurrent.weight.val()]
    }
}

/// One step's gate arithmetic: pre-activation gates `[batch, 4·hidden]` (i, f, g, o) and the
/// cell → the new hidden state and cell.
fn step(gates: Tensor<2>, cell: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let mut chunks = gates.chunk(4, 1).into_iter();
    let (i, f, g, o) = (
        sigmoid(chunks.next().unwrap()),
        sigmoid(chunks.next().unwrap()),
        tanh(chunks.next().unwrap()),
        sigmoid(chunks.next().unwrap()),
    );
    let cell = f * cell + i * g;
    (o * tanh(cell.clone()), cell)
}

// The fast layer (digitseq_kernels::lstm_layer: flex, and wgpu on an adapter) against burn's
// steps.
#[cfg(all(test, feature = "flex-training"))]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::FusedLstm;

    /// The fast layer applies on `device`: the tests below compare it, not burn with itself.
    fn assert_the_fast_layer_applies(device: &Device) {
        let gates_in = Tensor::<3>::zeros([1, 1, 20], device);
        let recurrent = Tensor::<2>::zeros([5, 20], device);
        assert!(
            digitseq_kernels::lstm_layer(&gates_in, &recurrent).is_some(),
            "no fast layer on {device:?}"
        );
    }

    /// The fast layer must be burn's steps (lstm.rs's fallback) to float rounding: every
    /// step's hidden state, the final cell, and the gradients of the layer's input and of
    /// both its weights through a real backward pass whose loss reads all of them. 70 rows:
    /// three chunks, the last one short.
    fn assert_the_fast_layer_matches_burns_steps(device: &Device) {
        let device = device.clone().autodiff();
        assert_the_fast_layer_applies(&device);
        let lstm = FusedLstm::new(6, 5, &device);
        let x =
            Tensor::<3>::random([70, 4, 6], Distribution::Normal(0.0, 2.0), &device).require_grad();
        let (wh, wc) = (
            Tensor::<3>::random([70, 4, 5], Distribution::Default, &device),
            Tensor::<2>::random([70, 5], Distribution::Default, &device),
        );
        let run = |fast: bool| {
            let (hidden, state) = if fast {
                lstm.forward(x.clone(), None)
            } else {
                lstm.forward_step_by_step(x.clone(), None)
            };
            let loss =
                (hidden.clone() * wh.clone()).sum() + (state.cell.clone() * wc.clone()).sum();
            let grads = loss.backward();
            let [input_weight, recurrent_weight] = lstm.weights();
            [
                hidden.into_data(),
                state.hidden.into_data(),
                state.cell.into_data(),
                x.grad(&grads).unwrap().into_data(),
                input_weight.grad(&grads).unwrap().into_data(),
                recurrent_weight.grad(&grads).unwrap().into_data(),
            ]
        };
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-5);
        for (fast, burn) in run(true).iter().zip(&run(false)) {
            fast.assert_approx_eq::<f32>(burn, tolerance);
        }
    }

    #[test]
    fn the_fast_layer_matches_burns_steps_and_their_gradients() {
        assert_the_fast_layer_matches_burns_steps(&Device::flex());
    }

    /// Without autodiff (evaluation) the same forward pass runs, and gives burn's answers.
    fn assert_without_autodiff_it_matches_burns_steps(device: &Device) {
        assert_the_fast_layer_applies(device);
        let lstm = FusedLstm::new(6, 5, device);
        let x = Tensor::<3>::random([70, 4, 6], Distribution::Normal(0.0, 2.0), device);
        let (fast, fast_state) = lstm.forward(x.clone(), None);
        let (burn, burn_state) = lstm.forward_step_by_step(x, None);
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-5);
        fast.into_data()
            .assert_approx_eq::<f32>(&burn.into_data(), tolerance);
        let (fast, burn) = (fast_state.cell.into_data(), burn_state.cell.into_data());
        fast.assert_approx_eq::<f32>(&burn, tolerance);
    }

    #[test]
    fn without_autodiff_it_matches_burns_steps() {
        assert_without_autodiff_it_matches_burns_steps(&Device::flex());
    }

    /// The GPU kernels (`digitseq_kernels::wgpu`), on the machine's wgpu adapter.
    #[cfg(feature = "wgpu-training")]
    fn wgpu() -> Device {
        static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
        DEVICE
            .get_or_init(|| {
                let (device, _) = Device::wgpu_options()
                    .init_with_setup()
                    .expect("no wgpu adapter: scripts/test.sh installs lavapipe");
                device
            })
            .clone()
    }

    #[cfg(feature = "wgpu-training")]
    #[test]
    #[ignore = "needs a wgpu adapter; scripts/test.sh runs it on lavapipe"]
    fn on_wgpu_the_fast_layer_matches_burns_steps_and_their_gradients() {
        assert_the_fast_layer_matches_burns_steps(&wgpu());
    }

    #[cfg(feature = "wgpu-training")]
    #[test]
    #[ignore = "needs a wgpu adapter; scripts/test.sh runs it on lavapipe"]
    fn on_wgpu_without_autodiff_it_matches_burns_steps() {
        assert_without_autodiff_it_matches_burns_steps(&wgpu());
    }
}
