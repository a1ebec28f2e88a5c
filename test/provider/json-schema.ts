/**
 * A small JSON Schema (draft-04) validator for the subset the NixOps4 resource schema
 * uses: type, properties, required, additionalProperties, oneOf and local `$ref`s (plus
 * enum, items, anyOf, allOf for completeness). A keyword it does not know is an error,
 * not silently ignored, so a future schema can never pass by omission. A remote `$ref`
 * is an error when validation actually reaches it.
 */

export type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "id",
  "title",
  "description",
  "definitions",
  "default",
]);
const SUPPORTED = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "oneOf",
  "anyOf",
  "allOf",
  "enum",
  "items",
  "$ref",
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === "number" && actual === "integer");
}

export class Validator {
  constructor(private readonly root: Schema) {}

  /** Resolves `#/a/b` inside the root document (JSON Pointer, RFC 6901). */
  resolve(ref: string): Schema {
    if (!ref.startsWith("#")) throw new Error(`remote $ref ${ref} is not supported`);
    let node: unknown = this.root;
    for (const raw of ref.slice(1).split("/").slice(1)) {
      const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isObject(node) || !(key in node)) throw new Error(`$ref ${ref} does not resolve`);
      node = node[key];
    }
    if (!isObject(node)) throw new Error(`$ref ${ref} is not a schema`);
    return node;
  }

  /** Errors (empty when valid), each prefixed with the JSON path of the offending value. */
  validate(value: unknown, schema: Schema | string = this.root, path = "$"): string[] {
    const s = typeof schema === "string" ? this.resolve(schema) : schema;
    // Draft-04: a $ref replaces the whole schema object; its siblings are ignored.
    if (typeof s.$ref === "string") return this.validate(value, this.resolve(s.$ref), path);
    for (const k of Object.keys(s)) {
      if (!SUPPORTED.has(k) && !ANNOTATIONS.has(k) && !k.startsWith("x-")) {
        throw new Error(`schema keyword ${k} at ${path} is not supported by this validator`);
      }
    }
    const errors: string[] = [];
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => typeMatches(value, t))) {
        return [`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`];
      }
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errors.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
    }
    if (isObject(value)) errors.push(...this.object(value, s, path));
    if (Array.isArray(value) && isObject(s.items)) {
      value.forEach((item, i) =>
        errors.push(...this.validate(item, s.items as Schema, `${path}[${i}]`)),
      );
    }
    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf as Schema[]) errors.push(...this.validate(value, sub, path));
    }
    if (Array.isArray(s.anyOf)) {
      const results = (s.anyOf as Schema[]).map((sub) => this.validate(value, sub, path));
      if (!results.some((r) => r.length === 0)) {
        errors.push(
          `${path}: matches none of anyOf (${results.map((r) => r.join("; ")).join(" | ")})`,
        );
      }
    }
    if (Array.isArray(s.oneOf)) {
      const results = (s.oneOf as Schema[]).map((sub) => this.validate(value, sub, path));
      const matched = results.filter((r) => r.length === 0).length;
      if (matched !== 1) {
        errors.push(
          matched === 0
            ? `${path}: matches none of oneOf (${results.map((r) => r.join("; ")).join(" | ")})`
            : `${path}: matches ${matched} branches of oneOf, exactly one allowed`,
        );
      }
    }
    return errors;
  }

  private object(value: Record<string, unknown>, s: Schema, path: string): string[] {
    const errors: string[] = [];
    const props = isObject(s.properties) ? s.properties : {};
    if (Array.isArray(s.required)) {
      for (const r of s.required as string[]) {
        if (!(r in value)) errors.push(`${path}: missing required property ${r}`);
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      if (isObject(sub)) {
        errors.push(...this.validate(v, sub, `${path}.${k}`));
      } else if (s.additionalProperties === false) {
        errors.push(`${path}: property ${k} is not allowed (additionalProperties: false)`);
      } else if (isObject(s.additionalProperties)) {
        errors.push(...this.validate(v, s.additionalProperties, `${path}.${k}`));
      }
    }
    return errors;
  }
}
