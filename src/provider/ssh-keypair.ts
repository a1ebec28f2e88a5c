import { generateEd25519KeyPair } from "../core/openssh-keys.js";
import { checkSshKeypairInputs } from "./inputs.js";
import type { ExtantResource, JsonObject } from "./protocol.js";
import type { ResourceType } from "./resource.js";

/**
 * `ssh_keypair`: an ed25519 key pair in OpenSSH formats. NixOps4 only calls update when
 * inputs changed, but an update whose effective inputs are the same (e.g. `keyType` now
 * spelled out as its default) keeps the recorded key rather than rotating it silently.
 */
export const sshKeypair: ResourceType = {
  create(props) {
    const inputs = checkSshKeypairInputs(props);
    return Promise.resolve({ ...generateEd25519KeyPair(inputs.comment) });
  },

  update(previous: ExtantResource, props: JsonObject) {
    const inputs = checkSshKeypairInputs(props);
    const out = previous.outputProperties;
    let before: ReturnType<typeof checkSshKeypairInputs> | null = null;
    try {
      before = checkSshKeypairInputs(previous.inputProperties);
    } catch {
      // Earlier inputs this version no longer accepts: make a new key.
    }
    if (
      before !== null &&
      before.keyType === inputs.keyType &&
      before.comment === inputs.comment &&
      typeof out?.publicKey === "string" &&
      typeof out.privateKey === "string"
    ) {
      return Promise.resolve({ publicKey: out.publicKey, privateKey: out.privateKey });
    }
    return Promise.resolve({ ...generateEd25519KeyPair(inputs.comment) });
  },
};
