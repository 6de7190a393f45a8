/**
 * Conformance cases that are applicable by op type but excluded, keyed by exact test name,
 * one reason each. Keep this list short and every reason specific.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  test_batchnorm_epsilon_training_mode: 'BatchNormalization training_mode=1 (batch statistics, running-mean outputs) is refused by design: camanim explains models in inference mode',
  test_batchnorm_example_training_mode: 'BatchNormalization training_mode=1 (batch statistics, running-mean outputs) is refused by design: camanim explains models in inference mode',
  test_Conv3d: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_dilated: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_dilated_strided: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_groups: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_no_bias: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_stride: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_Conv3d_stride_padding: 'Conv over 3-D volumes is refused by design (CamanimError naming the node): camanim explains 2-D image models; 1-D and 2-D convolutions are supported',
  test_convtranspose_3d: 'ConvTranspose over 3-D volumes is refused at load time by design (CamanimError naming the node), as Conv3d is: camanim explains 2-D image models; 1-D and 2-D transposed convolutions are supported',
  test_einsum_batch_diagonal: "Einsum 'ii->i'-style diagonals (a letter repeated in one operand) are refused at load time naming the equation: camanim runs two-operand contractions (attention, batched products)",
  test_einsum_sum: "Einsum with one operand ('ij->i', a sum) is refused at load time naming the equation: camanim runs two-operand contractions; exporters write ReduceSum for this",
  test_einsum_transpose: "Einsum with one operand ('ij->ji', a transpose) is refused at load time naming the equation: camanim runs two-operand contractions; exporters write Transpose for this",
};
