//! Whether a device runs long shader loops to the end. Mesa's llvmpipe (lavapipe, CI's Vulkan
//! device) stops each invocation after 65,535 loop iterations, all its loops together
//! (gallivm's `LP_MAX_TGSI_LOOP_ITERATIONS`), and the kernel returns what it has: burn's
//! reductions over long rows, and so training's convolution gradients past about 100 digits
//! a batch, come out wrong without an error. Hardware GPUs have no such cap.

use burn::prelude::{Device, Shape, TensorData};
use burn::tensor::Tensor as BurnTensor;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::queue::queue;
use super::{Gpu, empty_like};

/// Iterations the probe asks for: well past llvmpipe's cap, exact in `f32`, a moment's work
/// for one GPU thread.
const PROBE_ITERATIONS: u32 = 1 << 20;

/// One unit counts its own loop's iterations.
#[cube(launch)]
fn count_iterations<F: Float>(
    one: &Tensor<F>,
    counted: &mut Tensor<F>,
    iterations: u32,
    #[define(F)] _dtype: ElemType,
) {
    let mut count = F::new(0.0_f32);
    for _ in 0..iterations {
        count += one[0];
    }
    counted[0] = count;
}

/// The most loop iterations one shader invocation runs on `device` where that is fewer than
/// [`PROBE_ITERATIONS`] (llvmpipe: 65,535); `None` where loops run to the end, or where
/// `device` is not the GPU backend. Reads one number back: call it once, at start-up.
pub fn find(device: &Device) -> Option<u32> {
    let one = BurnTensor::<1>::from_data(TensorData::new(vec![1.0_f32], [1]), device);
    let one = one.try_into_primitive::<Gpu>().ok()?;
    let [counted] = queue("loop_cap", [one], [Shape::new([1])], |[one]| {
        [launch(one, PROBE_ITERATIONS)]
    });
    let counted = BurnTensor::<1>::from_primitive::<Gpu>(counted).into_scalar::<f32>() as u32;
    (counted < PROBE_ITERATIONS).then_some(counted)
}

fn launch(one: CubeTensor, iterations: u32) -> CubeTensor {
    let counted = empty_like(&one, [1]);
    let client = one.client.clone();
    let dtype = burn::backend::cubecl::dtype_to_storage_type(one.dtype);
    count_iterations::launch(
        &client,
        CubeCount::Static(1, 1, 1),
        CubeDim::new_1d(1),
        one.into_tensor_arg(),
        counted.clone().into_tensor_arg(),
        iterations,
        dtype,
    );
    counted
}

#[cfg(test)]
mod tests {
    use burn::tensor::wgpu::wgpu::DeviceType;

    use super::*;

    #[test]
    #[ignore = "needs a wgpu adapter (scripts/test.sh installs lavapipe)"]
    fn llvmpipe_stops_loops_at_its_cap_and_other_adapters_do_not() {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup()
            .expect("no wgpu adapter: scripts/test.sh installs lavapipe");
        let info = setup.adapter.get_info();
        let expected = (info.device_type == DeviceType::Cpu && info.name.contains("llvmpipe"))
            .then_some(65_535);
        assert_eq!(
            find(&device),
            expected,
            "on {} ({:?})",
            info.name,
            info.device_type
        );
    }

    #[test]
    fn the_cpu_backend_has_no_cap_to_find() {
        assert_eq!(find(&Device::flex()), None);
    }
}
