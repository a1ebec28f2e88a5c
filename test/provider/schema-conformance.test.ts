import { test } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "./json-schema.js";
import {
  create,
  runProvider,
  requireSchema,
  SCHEMA_ABSENT,
  SCHEMA_REQUIRED,
  schemaValidator,
  update,
  outputsOf,
} from "./harness.js";

const schema = schemaValidator();
// Skipped only off CI; with CI=true the tests run and fail naming where the schema was sought.
const skip = schema === null && !SCHEMA_REQUIRED ? SCHEMA_ABSENT : false;

test("the validator checks $ref, oneOf, required, additionalProperties", () => {
  const v = new Validator({
    definitions: {
      A: {
        type: "object",
        properties: { a: { type: "string" } },
        required: ["a"],
        additionalProperties: false,
      },
      B: { type: "object", properties: { b: { type: "boolean" } }, required: ["b"] },
    },
    oneOf: [{ $ref: "#/definitions/A" }, { $ref: "#/definitions/B" }],
  });
  assert.deepEqual(v.validate({ a: "x" }), []);
  assert.deepEqual(v.validate({ b: true, extra: 1 }), []);
  assert.notDeepEqual(v.validate({ a: 1 }), []);
  assert.notDeepEqual(v.validate({ a: "x", z: 1 }), [], "additionalProperties: false");
  const both = new Validator({ oneOf: [{ type: "object" }, { required: ["b"] }] });
  assert.match(both.validate({ b: 1 }).join(), /matches 2 branches/, "oneOf means exactly one");
  assert.throws(() => new Validator({ pattern: "x" }).validate("x"), /not supported/);
  assert.throws(() => v.validate(1, "#/definitions/Nope"), /does not resolve/);
});

test(
  "conformance: the schema's own definitions resolve and the validator knows every keyword",
  { skip },
  () => {
    const v = requireSchema()!;
    for (const name of [
      "Request",
      "Response",
      "CreateResourceRequest",
      "UpdateResourceRequest",
      "ErrorResponse",
    ]) {
      v.resolve(`#/definitions/${name}`);
    }
    // Valid and invalid samples straight from the schema's shapes.
    assert.deepEqual(v.validate(create("t", {}), "#/definitions/Request"), []);
    assert.notDeepEqual(
      v.validate(
        { createResourceRequest: { type: "t", inputProperties: {} } },
        "#/definitions/Request",
      ),
      [],
    );
    assert.notDeepEqual(
      v.validate({ errorResponse: { message: "m", extra: 1 } }, "#/definitions/Response"),
      [],
    );
    assert.notDeepEqual(v.validate({ errorResponse: {} }, "#/definitions/Response"), []);
    // The document root pairs oneOf [Request, Response] with additionalProperties: false and no
    // properties, which under draft-04 refuses every non-empty object; that is why lines are
    // checked against definitions Request and Response.
    assert.match(v.validate(create("t", {})).join(), /additionalProperties/);
  },
);

test(
  "conformance: every request and response of a session validates against the schema",
  { skip },
  async () => {
    const kp = create("ssh_keypair", { comment: "c" });
    const run = await runProvider([
      kp,
      create("ssh_keypair", {}, false),
      create("nope", {}),
      update(
        "ssh_keypair",
        { comment: "c" },
        { publicKey: "p", privateKey: "k" },
        { comment: "c" },
      ),
      { stateResourceReadRequest: { resource: { type: "ssh_keypair", inputProperties: {} } } },
      create("pxe_nbp", {
        mac: "52:54:00:00:00:01",
        kernel: "/k",
        initrd: "/i",
        socket: "/nonexistent/c.sock",
      }),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.responses.length, 6);
    outputsOf(run.responses[0]);
  },
);
