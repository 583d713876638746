/**
 * Source edits applied to FerretDB (the module named in go.mod, copied out of Go's module cache) before
 * the embedded database is built; server/src/db/ferretdb-build.ts applies them. Each `old` text must be
 * found exactly once in its file, or the build stops and names the edit: a new FerretDB release that
 * moved the code needs the edit redone, never silently skipped.
 *
 * Bump PATCH_LEVEL whenever an edit, main.go or go.mod changes: it is part of the binary's name, so a
 * binary built from other sources is never reused.
 */

export const PATCH_LEVEL = 1;

export type SourcePatch = {
  /** Path inside the FerretDB module. */
  file: string;
  /** Exact text to replace (tabs as in the Go source); must occur exactly once. */
  old: string;
  new: string;
  why: string;
};

export const FERRETDB_PATCHES: readonly SourcePatch[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    old: `\tIDColumn = DefaultColumn + "->'$._id'"\n`,
    new: `\tIDColumn = DefaultColumn + \`->"_id"\`\n`,
    why:
      'SQLite: the unique _id index is on _ferretdb_sjson->"_id" (registry.go builds index columns that way), but ' +
      "lookups compared _ferretdb_sjson->'$._id', an expression the planner does not match to that index, so " +
      'every _id lookup, UPDATE and DELETE scanned the whole table. Same value, same expression as the index now.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    old: [
      '\tif params.Filter.Len() == 1 {',
      '\t\tv, _ := params.Filter.Get("_id")',
      '\t\tswitch v.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\twhereClause = ',
    ].join('\n'),
    new: [
      '\tif params.Filter.Len() >= 1 {',
      '\t\tv, _ := params.Filter.Get("_id")',
      '\t\tswitch v.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\twhereClause = ',
    ].join('\n'),
    why:
      'SQLite Query: push the _id equality down also when the filter names other fields ({_id, status}), so such a ' +
      'filter is narrowed by the _id index too instead of scanning the table. Safe: only an _id equality (string or ' +
      'ObjectId) is pushed, and every caller filters the returned documents again in Go with the whole filter ' +
      '(internal/handler: find and getMore via makeFindIter/FilterIterator, update and findAndModify via ' +
      'FilterIterator, delete via FilterDocument, count and distinct via FilterIterator, aggregate by running its ' +
      '$match stage on the rows), and no caller pushes a LIMIT when there is a filter (msg_find.go).',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    old: [
      '\tif params.Filter.Len() == 1 {',
      '\t\tv, _ := params.Filter.Get("_id")',
      '\t\tswitch v.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\tfilterPushdown = true',
    ].join('\n'),
    new: [
      '\tif params.Filter.Len() >= 1 {',
      '\t\tv, _ := params.Filter.Get("_id")',
      '\t\tswitch v.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\tfilterPushdown = true',
    ].join('\n'),
    why: 'SQLite Explain: the same condition as Query, so explain shows the plan a query really gets.',
  },
  {
    file: 'internal/backends/postgresql/query.go',
    old: [
      '\t\tcase float64, string, types.ObjectID, bool, time.Time, int32, int64:',
      '\t\t\tif f, a := filterEqual(p, key, v, keyOperator); f != "" {',
    ].join('\n'),
    new: [
      '\t\tcase float64, string, types.ObjectID, bool, time.Time, int32, int64:',
      "\t\t\t// Cheqpoint: _id equality as `_jsonb->'_id' = $n`, the expression of the _id btree index",
      "\t\t\t// (the generic `_jsonb->$1 @> $2` below cannot use it). '_id' is a literal in the SQL, not a",
      "\t\t\t// parameter, so PostgreSQL's generic plans of the prepared statement still match the index.",
      '\t\t\tif _, isString := v.(string); rootKey == "_id" && (isString || isObjectID(v)) {',
      '\t\t\t\tfilters = append(filters, fmt.Sprintf(`%s = %s`, metadata.IDColumn, p.Next()))',
      '\t\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))',
      '',
      '\t\t\t\tcontinue',
      '\t\t\t}',
      '',
      '\t\t\tif f, a := filterEqual(p, key, v, keyOperator); f != "" {',
    ].join('\n'),
    why:
      "PostgreSQL: _id equality was pushed as _jsonb->'_id' @> $2, which the btree index on _jsonb->'_id' cannot " +
      'serve, so every _id lookup scanned the table. Strings and ObjectIds only: their stored JSON is exactly ' +
      'the marshalled value, so = is the same match as @> for them (an _id is never an array).',
  },
  {
    file: 'internal/backends/postgresql/query.go',
    old: '// filterEqual returns the proper SQL filter with arguments that filters documents\n',
    new: [
      '// isObjectID reports whether v is an ObjectID (Cheqpoint patch, used by prepareWhereClause).',
      'func isObjectID(v any) bool {',
      '\t_, ok := v.(types.ObjectID)',
      '\treturn ok',
      '}',
      '',
      '// filterEqual returns the proper SQL filter with arguments that filters documents',
      '',
    ].join('\n'),
    why: 'Helper of the PostgreSQL _id edit above.',
  },
];
