/**
 * Conformance cases that are applicable by op type but excluded, keyed by exact test name,
 * one reason each. Keep this list short and every reason specific.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  test_batchnorm_epsilon_training_mode:
    'BatchNormalization training_mode=1 (batch statistics, running-mean outputs) is refused by design: camanim explains models in inference mode',
  test_batchnorm_example_training_mode:
    'BatchNormalization training_mode=1 (batch statistics, running-mean outputs) is refused by design: camanim explains models in inference mode',
  test_einsum_batch_diagonal:
    "Einsum 'ii->i'-style diagonals (a letter repeated in one operand) are refused at load time naming the equation: camanim runs two-operand contractions (attention, batched products)",
  test_einsum_sum:
    "Einsum with one operand ('ij->i', a sum) is refused at load time naming the equation: camanim runs two-operand contractions; exporters write ReduceSum for this",
  test_if:
    "If's condition 'cond' is a graph input: camanim plans one branch, so a condition fed at run time is refused by design, naming the node; with it known before the run the case passes (packages/core/test/if.test.ts)",
  test_einsum_transpose:
    "Einsum with one operand ('ij->ji', a transpose) is refused at load time naming the equation: camanim runs two-operand contractions; exporters write Transpose for this",
};
