/**
 * Lays labels out on the screen so that none overlaps another, a card or its container's edge:
 * greedy by priority (the current layer first, then by distance along the stack), each label
 * placed at the first of its candidate boxes that fits, hidden when none does. Plain numbers,
 * no DOM, so the rule is tested without a browser.
 */

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LabelCandidate<Id> {
  readonly id: Id;
  /** Lower goes first. */
  readonly priority: number;
  /** Where it may go, best first (below its plane, then above it). */
  readonly boxes: readonly Rect[];
}

/** Whether two rectangles share interior points (touching edges do not count). */
export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

export function inside(r: Rect, container: Rect): boolean {
  return (
    r.x >= container.x &&
    r.y >= container.y &&
    r.x + r.width <= container.x + container.width &&
    r.y + r.height <= container.y + container.height
  );
}

/** The box each shown label gets; labels left out are hidden. */
export function packLabels<Id>(
  candidates: readonly LabelCandidate<Id>[],
  obstacles: readonly Rect[],
  container: Rect,
): Map<Id, Rect> {
  const placed = new Map<Id, Rect>();
  const taken: Rect[] = [];
  for (const c of [...candidates].sort((a, b) => a.priority - b.priority)) {
    const box = c.boxes.find(
      (b) => inside(b, container) && !obstacles.some((o) => intersects(b, o)) && !taken.some((t) => intersects(b, t)),
    );
    if (!box) continue;
    placed.set(c.id, box);
    taken.push(box);
  }
  return placed;
}
