/**
 * A TFTP read-request flood on loopback: RRQs from many source addresses (Linux answers for
 * all of 127.0.0.0/8 on lo, so no namespace is needed to vary them) and ports, never
 * acknowledged. Each round opens fresh sockets, as a spoofing sender's new sources would;
 * the previous round's sockets stay open one round more, then close. Bounded in rounds.
 */
import { createSocket, type Socket } from "node:dgram";
import { encodeRequest } from "../../src/tftp/codec/packet.js";

export interface RrqFlood {
  /** RRQs sent so far. */
  readonly sent: number;
  /** Sends one more round of `addresses * portsPerAddress` RRQs. */
  round(): Promise<void>;
  close(): void;
}

export function rrqFlood(
  serverPort: number,
  file: string,
  addresses = 375,
  portsPerAddress = 4,
): RrqFlood {
  let previous: Socket[] = [];
  let current: Socket[] = [];
  let sent = 0;
  const rrq = encodeRequest("rrq", file, "octet", [{ name: "tsize", value: "0" }]);
  const open = async (address: string) => {
    const s = createSocket("udp4");
    s.on("error", () => undefined);
    s.on("message", () => undefined); // read and ignored: never acknowledged
    await new Promise<void>((r) => s.bind(0, address, r));
    return s;
  };
  const close = (ss: Socket[]) => {
    for (const s of ss) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  };
  return {
    get sent() {
      return sent;
    },
    async round() {
      close(previous);
      previous = current;
      current = [];
      for (let a = 0; a < addresses; a++) {
        const address = `127.0.${10 + Math.floor(a / 250)}.${(a % 250) + 1}`;
        for (let p = 0; p < portsPerAddress; p++) current.push(await open(address));
      }
      for (const s of current) {
        s.send(rrq, serverPort, "127.0.0.1");
        sent++;
      }
    },
    close() {
      close(previous);
      close(current);
      previous = current = [];
    },
  };
}
