/**
 * Conformance cases that are applicable by op type but excluded, keyed by exact test name,
 * one reason each. Keep this list short and every reason specific.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
};
