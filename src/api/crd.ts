// Zod schema -> CustomResourceDefinition. Zod's OpenAPI 3.0 output is close to what Kubernetes wants, but not
// structural as it stands; this file rewrites it (see ../shared/reference/k8s.md §5.2) and refuses anything it
// cannot express, so a schema change that would give a CRD the API server rejects fails here, not at install time.
import { z } from "zod";
import { stringify } from "yaml";
import { GROUP, VERSION, type CelRule } from "./common.ts";

export type JsonSchema = { [key: string]: unknown };

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Rules on the whole object; they may read self.metadata.name. */
  rootRules?: CelRule[];
  printerColumns: PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Keys the API server's JSONSchemaProps knows; anything else is dropped or refused, so we refuse it first. */
const ALLOWED = new Set([
  "type",
  "description",
  "format",
  "default",
  "enum",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "multipleOf",
  "anyOf",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
]);

class SchemaError extends Error {}

function fail(path: string, message: string): never {
  throw new SchemaError(`${path || "<root>"}: ${message}`);
}

/** Rewrites one node of Zod's OpenAPI 3.0 output into a structural schema node. */
function rewrite(node: JsonSchema, path: string, requireDescription: boolean): JsonSchema {
  const out: JsonSchema = { ...node };
  delete out.$schema;
  delete out.id;
  delete out.examples;
  delete out.title;
  delete out.uniqueItems;
  delete out.propertyNames;
  if (out.additionalProperties === false) delete out.additionalProperties;
  if ("const" in out) {
    out.enum = [out.const];
    delete out.const;
  }
  if ("$ref" in out || "definitions" in out || "$defs" in out) fail(path, "$ref/definitions cannot be used in a CRD");
  if (out.nullable) fail(path, "nullable is not used in poolfleet CRDs; make the field optional instead");
  if (requireDescription && typeof out.description !== "string") fail(path, "every field needs .describe()");

  if (out["x-kubernetes-int-or-string"] === true) return intOrString(out, path);
  if ("anyOf" in out || "oneOf" in out || "allOf" in out || "not" in out) {
    fail(path, "unions other than int-or-string are not structural; use optional fields and CEL rules");
  }
  if (typeof out.type !== "string") fail(path, "a structural schema needs a type on every node");

  if (out.type === "integer") {
    if (out.minimum === -MAX_SAFE) delete out.minimum;
    if (out.maximum === MAX_SAFE) delete out.maximum;
  }
  if (out.type === "string" && out.format === "date-time") delete out.pattern; // Zod's date-time regex is not RE2
  if (out.type === "object") {
    const props = out.properties as Record<string, JsonSchema> | undefined;
    if (props) {
      if (out.additionalProperties !== undefined) fail(path, "additionalProperties and properties are exclusive");
      out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, rewrite(v, `${path}.${k}`, true)]));
    }
    if (typeof out.additionalProperties === "object" && out.additionalProperties !== null) {
      out.additionalProperties = rewrite(out.additionalProperties as JsonSchema, `${path}[*]`, false);
    }
  }
  if (out.type === "array") {
    if (typeof out.items !== "object" || out.items === null || Array.isArray(out.items)) {
      fail(path, "items must be one schema");
    }
    out.items = rewrite(out.items as JsonSchema, `${path}[*]`, false);
  }
  for (const key of Object.keys(out)) if (!ALLOWED.has(key)) fail(path, `keyword ${key} is not allowed in a CRD`);
  return out;
}

/** `z.union([z.int()..., z.string()...])` marked int-or-string: the one union Kubernetes accepts. */
function intOrString(node: JsonSchema, path: string): JsonSchema {
  const branches = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (!branches) fail(path, "x-kubernetes-int-or-string needs an int|string union");
  const int = branches.find((b) => b.type === "integer");
  const str = branches.find((b) => b.type === "string");
  if (!int || !str || branches.length !== 2) fail(path, "x-kubernetes-int-or-string needs exactly int|string");
  const out: JsonSchema = {
    "x-kubernetes-int-or-string": true,
    anyOf: [{ type: "integer" }, { type: "string" }],
  };
  if (node.description !== undefined) out.description = node.description;
  if (node.default !== undefined) out.default = node.default;
  for (const k of ["pattern", "maxLength", "minLength"]) if (str[k] !== undefined) out[k] = str[k];
  const rules: CelRule[] = [];
  if (typeof int.minimum === "number" && int.minimum !== -MAX_SAFE) {
    rules.push({ rule: `type(self) != int || self >= ${int.minimum}`, message: `must be at least ${int.minimum}` });
  }
  if (typeof int.maximum === "number" && int.maximum !== MAX_SAFE) {
    rules.push({ rule: `type(self) != int || self <= ${int.maximum}`, message: `must be at most ${int.maximum}` });
  }
  const own = (node["x-kubernetes-validations"] as CelRule[] | undefined) ?? [];
  if (rules.length + own.length > 0) out["x-kubernetes-validations"] = [...rules, ...own];
  return out;
}

/** The structural OpenAPI v3 schema of a Zod schema, as a CRD wants it. Throws SchemaError on what cannot be. */
export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    unrepresentable: "throw",
    cycles: "throw",
    reused: "inline",
  }) as JsonSchema;
  return rewrite(json, "", false);
}

export function crdName(def: KindDefinition): string {
  return `${def.plural}.${GROUP}`;
}

/** The whole CustomResourceDefinition object for one kind. */
export function buildCrd(def: KindDefinition): JsonSchema {
  const root: JsonSchema = {
    description: def.description,
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: {
        type: "string",
        description: "APIVersion defines the versioned schema of this representation of an object.",
      },
      kind: {
        type: "string",
        description: "Kind is a string value representing the REST resource this object represents.",
      },
      metadata: { type: "object" },
      spec: toStructuralSchema(def.spec),
      status: toStructuralSchema(def.status),
    },
  };
  if (def.rootRules?.length) root["x-kubernetes-validations"] = def.rootRules;
  const subresources: JsonSchema = { status: {} };
  if (def.scale) subresources.scale = def.scale;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(def), labels: { "app.kubernetes.io/part-of": "poolfleet" } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ["poolfleet"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: root },
          subresources,
          additionalPrinterColumns: def.printerColumns,
        },
      ],
    },
  };
}

export const GENERATED_HEADER = "# Generated from src/api by `npm run generate`; do not edit.\n";

/** The YAML file for one kind, byte for byte what `npm run generate` writes. */
export function renderCrdYaml(def: KindDefinition): string {
  return GENERATED_HEADER + stringify(buildCrd(def), { lineWidth: 0, aliasDuplicateObjects: false });
}
