/**
 * Finds the first missing position of a dense 1, 2, 3 … sequence stored by key (change feed, ticket
 * slots, audit chain), asking only "does position n exist?" (one `_id` lookup each, served by an index
 * on every backend). Starts from `hint` (the last position believed to exist, 0 for none): when the hint
 * is right it costs two lookups; otherwise it gallops (1, 2, 4, …) and bisects, O(log n) lookups.
 *
 * Positions are claimed by unique insert at the first free one, so the sequence has no holes.
 */
export async function firstMissing(exists: (n: number) => Promise<boolean>, hint = 0): Promise<number> {
  let present = 0;
  let absent = 1;
  if (hint > 0 && !(await exists(hint))) {
    absent = hint; // the hint was too high: the end is below it
  } else {
    if (hint > 0) {
      if (!(await exists(hint + 1))) return hint + 1;
      present = hint + 1;
    }
    // Gallop: `present` exists (or is 0), find a missing `absent` above it.
    let step = 1;
    absent = present + step;
    while (await exists(absent)) {
      present = absent;
      step *= 2;
      absent = present + step;
    }
  }
  // Bisect: present exists, absent does not.
  while (absent - present > 1) {
    const mid = Math.floor((present + absent) / 2);
    if (await exists(mid)) present = mid;
    else absent = mid;
  }
  return absent;
}
