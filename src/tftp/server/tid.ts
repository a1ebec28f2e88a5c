import { createSocket, type Socket } from "node:dgram";

export interface Tid {
  socket: Socket;
  strangers: Socket;
}

/**
 * A transfer's TID: a fresh port with a socket connected to the client (the kernel then
 * delivers only the client's datagrams to it, and sends need no per-datagram address
 * handling: about a quarter less CPU per block) and an unconnected twin on the same port
 * (SO_REUSEADDR) that receives everyone else's, so strangers still get error 5.
 */
export async function openTid(
  host: string,
  peer: { readonly address: string; readonly port: number },
): Promise<Tid> {
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  const strangers = createSocket({ type: "udp4", reuseAddr: true });
  try {
    await bind(socket, 0, host);
    await bind(strangers, socket.address().port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(peer.port, peer.address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    socket.close();
    strangers.close();
    throw e;
  }
  return { socket, strangers };
}

function bind(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}
