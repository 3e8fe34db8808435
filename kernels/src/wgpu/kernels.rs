//! The LSTM layer's GPU kernels in CubeCL (compiled for wgpu, and any other cubecl runtime),
//! on contiguous cube tensors. One cube (workgroup) per batch row runs every time step in a
//! loop, the row's state in shared memory: the whole layer is one launch forward and two
//! backward, where burn's step-by-step layer launches dozens per step.
//!
//! Layouts as in [`crate::lstm`]: pre-activation and activated gates `[batch, steps, 4·hidden]`
//! (i, f, g, o), states `[batch, steps, 2·hidden]` (each step's `h` then `c`), recurrent weight
//! `[hidden, 4·hidden]` (burn `Linear`'s: gates = h · recurrent).

use burn::backend::cubecl::dtype_to_storage_type;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::empty_like;

#[cube]
fn sigmoid<F: Float>(x: F) -> F {
    F::new(1.0_f32) / (F::new(1.0_f32) + (F::new(0.0_f32) - x).exp())
}

/// tanh through one `exp`, as the CPU kernel computes it: ±1 at ±∞, never NaN.
#[cube]
fn tanh<F: Float>(x: F) -> F {
    F::new(1.0_f32) - F::new(2.0_f32) / ((F::new(2.0_f32) * x).exp() + F::new(1.0_f32))
}

/// Forward: 4·hidden units per cube, unit `j` owns gate `j`; units below `hidden` also own
/// cell `j` (kept in a register) and publish `h` in shared memory for the next step.
#[cube(launch)]
fn forward_kernel<F: Float>(
    gates_in: &Tensor<F>,   // [batch, steps, 4h] pre-activation
    recurrent: &Tensor<F>,  // [h, 4h]
    gates: &mut Tensor<F>,  // [batch, steps, 4h] activated
    states: &mut Tensor<F>, // [batch, steps, 2h]
    #[comptime] hidden: u32,
    #[define(F)] _dtype: ElemType,
) {
    let h = hidden as usize;
    let row = CUBE_POS_X as usize;
    let j = UNIT_POS_X as usize;
    let steps = gates_in.shape(1);
    let mut previous = Shared::<[F]>::new_slice(h);
    let mut activated = Shared::<[F]>::new_slice(4 * h);
    let mut cell = F::new(0.0_f32);
    if j < h {
        previous[j] = F::new(0.0_f32);
    }
    sync_cube();
    for t in 0..steps {
        let at = (row * steps + t) * 4 * h;
        let mut z = gates_in[at + j];
        for k in 0..h {
            z += previous[k] * recurrent[k * 4 * h + j];
        }
        let mut a = sigmoid::<F>(z);
        if j >= 2 * h && j < 3 * h {
            a = tanh::<F>(z);
        }
        activated[j] = a;
        gates[at + j] = a;
        // Every unit has read `previous` and written its gate.
        sync_cube();
        if j < h {
            cell = activated[h + j] * cell + activated[j] * activated[2 * h + j];
            let hidden_j = activated[3 * h + j] * tanh::<F>(cell);
            let state_at = (row * steps + t) * 2 * h;
            states[state_at + j] = hidden_j;
            states[state_at + h + j] = cell;
            previous[j] = hidden_j;
        }
        // `previous` is complete and `activated` read before the next step overwrites them.
        sync_cube();
    }
}

/// Backward through time: `hidden` units per cube, unit `j` owns cell `j` and its four gates;
/// the step's gate gradients go through shared memory into the hidden state's gradient.
#[cube(launch)]
fn backward_kernel<F: Float>(
    gates: &Tensor<F>,       // [batch, steps, 4h] activated
    states: &Tensor<F>,      // [batch, steps, 2h]
    recurrent: &Tensor<F>,   // [h, 4h]
    d_states: &Tensor<F>,    // [batch, steps, 2h]
    d_gates: &mut Tensor<F>, // [batch, steps, 4h] pre-activation
    #[comptime] hidden: u32,
    #[define(F)] _dtype: ElemType,
) {
    let h = hidden as usize;
    let row = CUBE_POS_X as usize;
    let j = UNIT_POS_X as usize;
    let steps = gates.shape(1);
    let one = F::new(1.0_f32);
    let mut step_d_gates = Shared::<[F]>::new_slice(4 * h);
    // What step t + 1 sends back to step t.
    let mut d_hidden = F::new(0.0_f32);
    let mut d_cell = F::new(0.0_f32);
    for back in 0..steps {
        let t = steps - 1 - back;
        let at = (row * steps + t) * 4 * h;
        let state_at = (row * steps + t) * 2 * h;
        let i = gates[at + j];
        let f = gates[at + h + j];
        let c_in = gates[at + 2 * h + j];
        let o = gates[at + 3 * h + j];
        let mut previous = F::new(0.0_f32);
        if t > 0 {
            previous = states[state_at - h + j];
        }
        let tanh_cell = tanh::<F>(states[state_at + h + j]);
        let dh = d_states[state_at + j] + d_hidden;
        let dc = d_states[state_at + h + j] + d_cell + dh * o * (one - tanh_cell * tanh_cell);
        let d_i = dc * c_in * i * (one - i);
        let d_f = dc * previous * f * (one - f);
        let d_g = dc * i * (one - c_in * c_in);
        let d_o = dh * tanh_cell * o * (one - o);
        d_gates[at + j] = d_i;
        d_gates[at + h + j] = d_f;
        d_gates[at + 2 * h + j] = d_g;
        d_gates[at + 3 * h + j] = d_o;
        step_d_gates[j] = d_i;
        step_d_gates[h + j] = d_f;
        step_d_gates[2 * h + j] = d_g;
        step_d_gates[3 * h + j] = d_o;
        d_cell = dc * f;
        sync_cube();
        // d h[t − 1]_j = Σ_m d gates[t]_m · recurrent[j, m]
        let mut sum = F::new(0.0_f32);
        for m in 0..4 * h {
            sum += step_d_gates[m] * recurrent[j * 4 * h + m];
        }
        d_hidden = sum;
        // Every unit has read this step's gate gradients before the next step writes them.
        sync_cube();
    }
}

/// The recurrent weight's gradient, Σ over rows and steps t ≥ 1 of h[t − 1]ᵀ · d gates[t]:
/// cube `k` (a row of the weight), unit `m` (a column), summing in a fixed order.
#[cube(launch)]
fn recurrent_grad_kernel<F: Float>(
    states: &Tensor<F>,          // [batch, steps, 2h]
    d_gates: &Tensor<F>,         // [batch, steps, 4h]
    d_recurrent: &mut Tensor<F>, // [h, 4h]
    #[comptime] hidden: u32,
    #[define(F)] _dtype: ElemType,
) {
    let h = hidden as usize;
    let k = CUBE_POS_X as usize;
    let m = UNIT_POS_X as usize;
    let batch = states.shape(0);
    let steps = states.shape(1);
    let mut sum = F::new(0.0_f32);
    for row in 0..batch {
        for t in 1..steps {
            let previous = states[(row * steps + t - 1) * 2 * h + k];
            sum += previous * d_gates[(row * steps + t) * 4 * h + m];
        }
    }
    d_recurrent[k * 4 * h + m] = sum;
}

/// The layer's forward pass → [activated gates, states].
pub fn forward(gates_in: CubeTensor, recurrent: CubeTensor) -> [CubeTensor; 2] {
    let (gates_in, recurrent) = (into_contiguous(gates_in), into_contiguous(recurrent));
    let [batch, steps, four_h] = gates_in.meta.shape().dims::<3>();
    let hidden = four_h / 4;
    let gates = empty_like(&gates_in, [batch, steps, four_h]);
    let states = empty_like(&gates_in, [batch, steps, 2 * hidden]);
    let client = gates_in.client.clone();
    let dtype = dtype_to_storage_type(gates_in.dtype);
    forward_kernel::launch(
        &client,
        CubeCount::Static(batch as u32, 1, 1),
        CubeDim::new_1d(four_h as u32),
        gates_in.into_tensor_arg(),
        recurrent.into_tensor_arg(),
        gates.clone().into_tensor_arg(),
        states.clone().into_tensor_arg(),
        hidden as u32,
        dtype,
    );
    [gates, states]
}

/// Backpropagation through time: (activated gates, states, recurrent weight, the states'
/// gradient) → [the pre-activation gates' gradient, the recurrent weight's gradient].
pub fn backward(
    gates: CubeTensor,
    states: CubeTensor,
    recurrent: CubeTensor,
    d_states: CubeTensor,
) -> [CubeTensor; 2] {
    let (gates, states) = (into_contiguous(gates), into_contiguous(states));
    let (recurrent, d_states) = (into_contiguous(recurrent), into_contiguous(d_states));
    let [batch, steps, four_h] = gates.meta.shape().dims::<3>();
    let hidden = four_h / 4;
    let client = gates.client.clone();
    let dtype = dtype_to_storage_type(gates.dtype);
    let d_gates = empty_like(&gates, [batch, steps, four_h]);
    let d_recurrent = empty_like(&gates, [hidden, four_h]);
    backward_kernel::launch(
        &client,
        CubeCount::Static(batch as u32, 1, 1),
        CubeDim::new_1d(hidden as u32),
        gates.into_tensor_arg(),
        states.clone().into_tensor_arg(),
        recurrent.into_tensor_arg(),
        d_states.into_tensor_arg(),
        d_gates.clone().into_tensor_arg(),
        hidden as u32,
        dtype,
    );
    recurrent_grad_kernel::launch(
        &client,
        CubeCount::Static(hidden as u32, 1, 1),
        CubeDim::new_1d(four_h as u32),
        states.into_tensor_arg(),
        d_gates.clone().into_tensor_arg(),
        d_recurrent.clone().into_tensor_arg(),
        hidden as u32,
        dtype,
    );
    [d_gates, d_recurrent]
}
