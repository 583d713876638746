/**
 * Source edits applied to FerretDB (the module named in go.mod, copied out of Go's module cache) before
 * the embedded database is built; server/src/db/ferretdb-build.ts applies them. Each `old` text must be
 * found exactly once in its file, or the build stops and names the edit: a new FerretDB release that
 * moved the code needs the edit redone, never silently skipped.
 *
 * Bump PATCH_LEVEL whenever an edit, main.go or go.mod changes: it is part of the binary's name, so a
 * binary built from other sources is never reused.
 */

export const PATCH_LEVEL = 2;

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
      "// cheqpointIDIn returns `_jsonb->'_id' IN ($n, …)` and its arguments when v is an array of 1 to 1,000",
      '// strings or ObjectIDs (Cheqpoint patch). Placeholders are taken only once every element qualifies.',
      'func cheqpointIDIn(p *metadata.Placeholder, v any) (string, []any, bool) {',
      '\tarr, ok := v.(*types.Array)',
      '\tif !ok || arr.Len() == 0 || arr.Len() > 1000 {',
      '\t\treturn "", nil, false',
      '\t}',
      '\targs := make([]any, 0, arr.Len())',
      '\tfor i := 0; i < arr.Len(); i++ {',
      '\t\tel := must.NotFail(arr.Get(i))',
      '\t\tswitch el.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(el))))',
      '\t\tdefault:',
      '\t\t\treturn "", nil, false',
      '\t\t}',
      '\t}',
      '\tplaceholders := make([]string, len(args))',
      '\tfor i := range placeholders {',
      '\t\tplaceholders[i] = p.Next()',
      '\t}',
      '',
      '\treturn fmt.Sprintf(`%s IN (%s)`, metadata.IDColumn, strings.Join(placeholders, ", ")), args, true',
      '}',
      '',
      '// filterEqual returns the proper SQL filter with arguments that filters documents',
      '',
    ].join('\n'),
    why: 'Helper of the PostgreSQL _id edit above.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    old: [
      '\t\tcase string, types.ObjectID:',
      '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
      '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
      '\t\t}',
    ].join('\n'),
    new: [
      '\t\tcase string, types.ObjectID:',
      '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
      '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
      '\t\tcase *types.Document:',
      '\t\t\tif clause, inArgs, ok := cheqpointIDIn(v); ok {',
      '\t\t\t\twhereClause = clause',
      '\t\t\t\targs = inArgs',
      '\t\t\t}',
      '\t\t}',
    ].join('\n'),
    why:
      'SQLite Query: {_id: {$in: [ids]}} (strings or ObjectIds, at most 1,000) is pushed down as ' +
      '`_ferretdb_sjson->"_id" IN (?, …)`, served by the _id index: a batch of key lookups in one query ' +
      'instead of a scan. Safe for the same reason as the edit above (every caller filters again in Go).',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    old: [
      '\t\tcase string, types.ObjectID:',
      '\t\t\tfilterPushdown = true',
      '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
      '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
      '\t\t}',
    ].join('\n'),
    new: [
      '\t\tcase string, types.ObjectID:',
      '\t\t\tfilterPushdown = true',
      '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
      '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
      '\t\tcase *types.Document:',
      '\t\t\tif clause, inArgs, ok := cheqpointIDIn(v); ok {',
      '\t\t\t\tfilterPushdown = true',
      '\t\t\t\twhereClause = clause',
      '\t\t\t\targs = inArgs',
      '\t\t\t}',
      '\t\t}',
    ].join('\n'),
    why: 'SQLite Explain: the same $in condition as Query.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    old: '// check interfaces\n',
    new: [
      '// cheqpointIDIn returns the WHERE clause and arguments of `_id IN (…)` when v is {$in: [ids]} with 1 to',
      '// 1,000 strings or ObjectIDs (Cheqpoint patch, used by Query and Explain).',
      'func cheqpointIDIn(v any) (string, []any, bool) {',
      '\tdoc, ok := v.(*types.Document)',
      '\tif !ok || doc.Len() != 1 {',
      '\t\treturn "", nil, false',
      '\t}',
      '\tlist, err := doc.Get("$in")',
      '\tif err != nil {',
      '\t\treturn "", nil, false',
      '\t}',
      '\tarr, ok := list.(*types.Array)',
      '\tif !ok || arr.Len() == 0 || arr.Len() > 1000 {',
      '\t\treturn "", nil, false',
      '\t}',
      '\targs := make([]any, 0, arr.Len())',
      '\tfor i := 0; i < arr.Len(); i++ {',
      '\t\tel := must.NotFail(arr.Get(i))',
      '\t\tswitch el.(type) {',
      '\t\tcase string, types.ObjectID:',
      '\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(el))))',
      '\t\tdefault:',
      '\t\t\treturn "", nil, false',
      '\t\t}',
      '\t}',
      '\tplaceholders := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")',
      '',
      '\treturn fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, placeholders), args, true',
      '}',
      '',
      '// check interfaces',
      '',
    ].join('\n'),
    why: 'Helper of the SQLite $in edits above.',
  },
  {
    file: 'internal/backends/postgresql/query.go',
    old: [
      '\t\t\t\tdefault:',
      '\t\t\t\t\t// $gt and $lt',
      '\t\t\t\t\t// TODO https://github.com/FerretDB/FerretDB/issues/1875',
      '\t\t\t\t\tcontinue',
    ].join('\n'),
    new: [
      '\t\t\t\tcase "$in":',
      "\t\t\t\t\t// Cheqpoint: {_id: {$in: [ids]}} as `_jsonb->'_id' IN ($n, …)`, served by the _id index.",
      '\t\t\t\t\tif rootKey == "_id" {',
      '\t\t\t\t\t\tif f, a, ok := cheqpointIDIn(p, v); ok {',
      '\t\t\t\t\t\t\tfilters = append(filters, f)',
      '\t\t\t\t\t\t\targs = append(args, a...)',
      '\t\t\t\t\t\t}',
      '\t\t\t\t\t}',
      '',
      '\t\t\t\tdefault:',
      '\t\t\t\t\t// $gt and $lt',
      '\t\t\t\t\t// TODO https://github.com/FerretDB/FerretDB/issues/1875',
      '\t\t\t\t\tcontinue',
    ].join('\n'),
    why:
      'PostgreSQL: {_id: {$in: [ids]}} (strings or ObjectIds, at most 1,000) was not pushed down at all (a scan); ' +
      "now `_jsonb->'_id' IN ($n, …)`, served by the _id btree index, the rest checked in Go as before.",
  },
];
