// A minimal graphql-transport-ws client: one subscription per socket, the token in
// connection_init (browsers cannot set headers on a WebSocket), reconnecting after a drop but
// not after 4403: the API refused the token, at the start or when it expired.

const PROTOCOL = "graphql-transport-ws";
const REFUSED = 4403;

export function subscribe({ token, query, variables, onData, onError, onState, onRefused }) {
  let socket = null;
  let stopped = false;
  let retry = 1000;

  function open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/graphql`, PROTOCOL);
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        retry = 1000;
        onState("live");
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      } else if (message.type === "next") {
        onData(message.payload);
      } else if (message.type === "error") {
        onError(message.payload);
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    };
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === REFUSED) {
        onRefused(event.reason || "The token was refused.");
        return;
      }
      onState("reconnecting");
      setTimeout(() => stopped || open(), retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  open();
  return () => {
    stopped = true;
    if (socket) socket.close(1000);
  };
}
