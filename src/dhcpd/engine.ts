/**
 * The lease engine: RFC 2131's server side as pure state over time. No sockets, no clock,
 * no disk: a request and `now` (epoch ms) in, a verdict out. The runner sends the reply,
 * pings when asked, and writes `durable` records to the journal before it sends an ACK.
 *
 * This file is the door: it checks a request's shape, picks its subnet
 * (subnet-choice.ts) and hands it to the handler for its message type: offer.ts
 * (DISCOVER), request.ts (REQUEST), give-back.ts (DECLINE, RELEASE). The state they
 * change is the lease table (lease-table.ts).
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { MSG, messageType } from "../dhcp/codec/options.js";
import type { Reservations } from "../registry/doors.js";
import { ipOf, type Ip4 } from "../core/ipv4.js";
import type { Mac } from "../core/mac.js";
import type { ServerConfig, Subnet } from "./config.js";
import { clientKeyOf, macOfChaddr, type ClientKey, type LeaseRecord } from "./lease.js";
import { LeaseTable, type Lease } from "./lease-table.js";
import { subnetOfRequest } from "./subnet-choice.js";
import type { EngineState, Verdict } from "./verdict.js";
import { discover } from "./offer.js";
import { request } from "./request.js";
import { decline, release } from "./give-back.js";

export type { Reservations, Verdict };
export type { Lease, LeaseState } from "./lease-table.js";

export class LeaseEngine {
  private readonly table: LeaseTable;
  /** What the message handlers see. */
  private readonly state: EngineState;

  constructor(
    readonly config: ServerConfig,
    reservations: Reservations,
    /** The appliance's address: option 54 of every reply. */
    readonly serverId: Ip4,
  ) {
    this.table = new LeaseTable(config);
    this.state = { config, reservations, serverId, table: this.table };
  }

  /**
   * One request. Malformed or foreign requests get `silent` with the reason. `mac` is
   * chaddr's, for a caller that has read it already.
   */
  handle(req: DhcpPacket, now: number, mac: Mac = macOfChaddr(req.chaddr)): Verdict {
    this.table.reap(now);
    const type = messageType(req);
    if (req.op !== 1 || req.htype !== 1 || req.hlen !== 6 || type === null)
      return { kind: "silent", reason: "not an Ethernet DHCP request" };
    const ciaddr = ipOf(req.ciaddr);
    const subnet = subnetOfRequest(this.config, ipOf(req.giaddr), ciaddr);
    if (subnet === null) return { kind: "silent", reason: "giaddr outside every subnet" };
    const client = clientKeyOf(req, mac);
    switch (type) {
      case MSG.DISCOVER:
        return discover(this.state, req, mac, client, subnet, now);
      case MSG.REQUEST:
        return request(this.state, req, mac, client, subnet, ciaddr, now);
      case MSG.DECLINE:
        return decline(this.state, req, client, now);
      case MSG.RELEASE:
        return release(this.state, req, client, ciaddr, now);
      case MSG.INFORM:
        return { kind: "inform", subnet };
      default:
        return { kind: "silent", reason: `message type ${type} is not a client request` };
    }
  }

  /** The ping for an offered fresh address came back: answered = someone uses it. */
  probed(ip: Ip4, answered: boolean, now: number): LeaseRecord | null {
    const l = this.table.get(ip);
    if (!l || l.state !== "probing") return null;
    if (!answered) {
      this.table.offered(l, now + this.config.offerSeconds * 1000);
      return null;
    }
    return this.table.quarantine(l, now);
  }

  /** Re-checks parked (reserved) pool addresses after the registry's reservations changed. */
  refreshReservations(): void {
    this.table.unpark();
  }

  /** Rebuilds the tables from the journal's records (in order; later ones win). */
  restore(records: Iterable<LeaseRecord>, now: number): void {
    this.table.restore(records, now);
  }

  /** What compaction keeps: every lease still in force, and the last holder of the rest. */
  records(): Iterable<LeaseRecord> {
    return this.table.records();
  }

  lease(ip: Ip4): Readonly<Lease> | undefined {
    return this.table.get(ip);
  }

  leaseOfClient(client: ClientKey): Readonly<Lease> | undefined {
    return this.table.ofClient(client);
  }

  /** Every address some client holds or was offered (for a status view, and tests). */
  held(): Iterable<Readonly<Lease>> {
    return this.table.held();
  }

  freeCount(subnet: Subnet): number {
    return this.table.poolFor(subnet)?.free ?? 0;
  }
}
