// A small checker of an object against a CRD's openAPIV3Schema, as the API server reads it: types,
// enums, required fields, minimum/maximum, and unknown fields refused (kubectl's default field
// validation is Strict) unless the schema keeps them (x-kubernetes-preserve-unknown-fields or
// additionalProperties). Why not Ajv (it is in node_modules): CRD schemas carry x-kubernetes-*
// keywords and int-or-string, which a JSON-schema validator would have to be taught, and the point
// here, unknown fields, is not JSON Schema's default. What it leaves out: CEL rules
// (x-kubernetes-validations), formats, patterns.

export interface OpenApiSchema {
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: boolean | OpenApiSchema;
  items?: OpenApiSchema;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [keyword: string]: unknown;
}

const typeOf = (value: unknown): string => {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

/** Every way `value` breaks `schema`, as `path: problem` lines (empty: it conforms). */
export function checkOpenApi(schema: OpenApiSchema, value: unknown, at = ''): string[] {
  const here = at || '/';
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') errors.push(`${here}: expected an integer or a string`);
    return errors;
  }
  if (schema.type) {
    const ok =
      schema.type === actual ||
      (schema.type === 'number' && actual === 'integer') ||
      (schema.type === 'object' && actual === 'object');
    if (!ok) return [`${here}: expected ${schema.type}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.includes(value as never))
    errors.push(`${here}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${here}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${here}: above ${schema.maximum}`);
  }
  if (actual === 'array' && schema.items) {
    (value as unknown[]).forEach((item, i) => {
      errors.push(...checkOpenApi(schema.items as OpenApiSchema, item, `${at}/${i}`));
    });
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) errors.push(`${at}/${name}: required`);
    for (const [name, child] of Object.entries(object)) {
      const property = schema.properties?.[name];
      if (property) errors.push(...checkOpenApi(property, child, `${at}/${name}`));
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...checkOpenApi(schema.additionalProperties, child, `${at}/${name}`));
      else if (
        schema.properties &&
        !schema['x-kubernetes-preserve-unknown-fields'] &&
        schema.additionalProperties !== true
      )
        errors.push(`${at}/${name}: unknown field`);
    }
  }
  return errors;
}
