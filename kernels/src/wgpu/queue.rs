//! Our CubeCL launches as operations of burn's fusion stream (as burn-linalg queues its own):
//! the work pending on their inputs runs first, and their outputs are fusion tensors like any.

use burn::backend::fusion::custom::{
    CustomOpIr, HandleContainer, Operation, OperationIr, OperationOutput, StreamId, TensorIr,
};
use burn::backend::fusion::{ExecutionError, FusionRuntime};
use burn::prelude::Shape;
use burn_cubecl::CubeBackend;
use burn_cubecl::fusion::FusionCubeRuntime;
use burn_cubecl::tensor::CubeTensor;

use super::GpuTensor;

type Run<const IN: usize, const OUT: usize> =
    Box<dyn Fn([CubeTensor; IN]) -> [CubeTensor; OUT] + Send + Sync>;

struct Op<const IN: usize, const OUT: usize> {
    desc: CustomOpIr,
    run: Run<IN, OUT>,
}

impl<const IN: usize, const OUT: usize> std::fmt::Debug for Op<IN, OUT> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.desc.fmt(f)
    }
}

impl<const IN: usize, const OUT: usize> Operation<FusionCubeRuntime> for Op<IN, OUT> {
    fn execute(
        &self,
        handles: &mut HandleContainer<<FusionCubeRuntime as FusionRuntime>::FusionHandle>,
    ) -> Result<(), ExecutionError> {
        let (inputs, outputs) = self.desc.as_fixed::<IN, OUT>();
        let inputs = inputs
            .each_ref()
            .map(|ir| handles.get_float_tensor::<CubeBackend>(ir));
        for (ir, tensor) in outputs.iter().zip((self.run)(inputs)) {
            handles.register_float_tensor::<CubeBackend>(&ir.id, tensor);
        }
        Ok(())
    }
}

/// Queues `run` on the underlying cube tensors of `inputs` as one custom operation named
/// `name`; `outputs` are the shapes it returns, in the inputs' dtype.
pub fn queue<const IN: usize, const OUT: usize>(
    name: &'static str,
    inputs: [GpuTensor; IN],
    outputs: [Shape; OUT],
    run: impl Fn([CubeTensor; IN]) -> [CubeTensor; OUT] + Send + Sync + 'static,
) -> [GpuTensor; OUT] {
    let client = inputs[0].client.clone();
    let dtype = inputs[0].dtype;
    let outputs = outputs.map(|shape| TensorIr::uninit(client.create_empty_handle(), shape, dtype));
    let desc = CustomOpIr::new(name, &inputs.map(|t| t.into_ir()), &outputs);
    let run: Run<IN, OUT> = Box::new(run);
    client
        .register(
            StreamId::current(),
            OperationIr::Custom(desc.clone()),
            Op { desc, run },
        )
        .outputs()
}
