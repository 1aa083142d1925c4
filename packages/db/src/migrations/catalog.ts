/**
 * A catalog dump: one sorted line per schema object of the product's schemas
 * (everything outside PostgreSQL's own and the runner's `ple_migrations`) —
 * tables, columns, types, defaults, constraints, indexes, functions with their
 * bodies, triggers, sequences, views, policies, comments — plus the installed
 * extensions. Two databases with equal dumps have the same schema; this is how
 * verifyMigrations proves that up → down → up changes nothing.
 */
import type { Queryable } from "../database.js";

const CATALOG_DUMP_SQL = `
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'ple_migrations')
    AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
rel AS (
  SELECT c.*, n.nspname FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
)
SELECT 'schema' AS kind, nspname AS name, '' AS def FROM ns
UNION ALL
SELECT 'extension', extname, extversion || ' in ' || extnamespace::regnamespace::text FROM pg_extension
UNION ALL
SELECT 'relation', nspname || '.' || relname,
  'kind=' || relkind::text || ' persistence=' || relpersistence::text || ' rls=' || relrowsecurity::text
  || ' options=' || coalesce(array_to_string(reloptions, ','), '') || ' acl=' || coalesce(relacl::text, '')
FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
UNION ALL
SELECT 'column', r.nspname || '.' || r.relname || '.' || a.attname,
  'pos=' || (row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum))::text
  || ' ' || format_type(a.atttypid, a.atttypmod)
  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
  || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
  || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
  || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
  || coalesce(' collate ' || nullif(co.collname, 'default'), '')
FROM pg_attribute a
JOIN rel r ON r.oid = a.attrelid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint', r.nspname || '.' || r.relname || '.' || con.conname,
  con.contype::text || ' ' || pg_get_constraintdef(con.oid)
  || CASE WHEN con.condeferrable THEN ' deferrable' ELSE '' END
  || CASE WHEN con.condeferred THEN ' initially deferred' ELSE '' END
  || CASE WHEN con.convalidated THEN '' ELSE ' not valid' END
FROM pg_constraint con JOIN rel r ON r.oid = con.conrelid
UNION ALL
SELECT 'domain-constraint', n.nspname || '.' || t.typname || '.' || con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_type t ON t.oid = con.contypid JOIN ns n ON n.oid = t.typnamespace
UNION ALL
SELECT 'index', r.nspname || '.' || r.relname,
  pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
FROM pg_index i JOIN rel r ON r.oid = i.indexrelid
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(p.oid) END
  || ' acl=' || coalesce(p.proacl::text, '')
FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'trigger', r.nspname || '.' || r.relname || '.' || t.tgname,
  pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
WHERE NOT t.tgisinternal
UNION ALL
SELECT 'sequence', r.nspname || '.' || r.relname,
  format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
  || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle::text
FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname,
  t.typtype::text || CASE t.typtype
    WHEN 'e' THEN ' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
    WHEN 'd' THEN ' ' || format_type(t.typbasetype, t.typtypmod)
      || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || t.typdefault, '')
    ELSE '' END
FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT 'view', r.nspname || '.' || r.relname, pg_get_viewdef(r.oid)
FROM rel r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'policy', r.nspname || '.' || r.relname || '.' || pol.polname,
  pol.polcmd::text || ' permissive=' || pol.polpermissive::text || ' roles=' || pol.polroles::text
  || ' using=' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '')
  || ' check=' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
FROM pg_policy pol JOIN rel r ON r.oid = pol.polrelid
UNION ALL
SELECT 'comment', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
FROM pg_description d
WHERE d.objoid >= 16384
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = d.classoid AND ext.objid = d.objoid)
  AND pg_describe_object(d.classoid, d.objoid, d.objsubid) NOT LIKE '%ple_migrations.%'
ORDER BY 1, 2, 3
`;

interface DumpRow {
  kind: string;
  name: string;
  def: string | null;
}

/** The catalog dump as sorted lines `kind name: definition`. */
export async function catalogDump(handle: Queryable): Promise<string[]> {
  const result = await handle.raw<{ rows: DumpRow[] }>(CATALOG_DUMP_SQL);
  return result.rows.map((row) => `${row.kind} ${row.name}: ${row.def ?? ""}`);
}

/** Lines only in `before` (prefixed "-") and only in `after` (prefixed "+"). */
export function diffCatalogDumps(before: string[], after: string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [
    ...before.filter((line) => !b.has(line)).map((line) => `- ${line}`),
    ...after.filter((line) => !a.has(line)).map((line) => `+ ${line}`),
  ];
}
