// Prints live stock changes as JSON lines: a WebSocket client with nothing to install.
//   npm run watch -- --url http://127.0.0.1:4000/graphql --key sk_... [--sku A --sku B] [--after 123] [--alerts]
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:4000/graphql" },
    key: { type: "string", default: "" },
    sku: { type: "string", multiple: true },
    warehouse: { type: "string", multiple: true },
    after: { type: "string" },
    alerts: { type: "boolean", default: false },
  },
});

const client = createClient({
  url: values.url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  connectionParams: values.key ? { authorization: `Bearer ${values.key}` } : {},
  retryAttempts: Infinity,
  shouldRetry: () => true,
  on: {
    connected: () => console.error("# connected"),
    closed: (e) => console.error(`# closed ${(e as { code?: number }).code ?? ""}: reconnecting`),
  },
});

let last = values.after;
const query = values.alerts
  ? `subscription($w:[String!]){ lowStockAlert(warehouses:$w){ kind threshold at level{ available product{ sku } warehouse{ code } } } }`
  : `subscription($s:[String!],$w:[String!],$after:String){ stockChanged(skus:$s, warehouses:$w, after:$after){
       sequence movement{ type sku warehouse onHandDelta reservedDelta version orderId actor createdAt }
       level{ onHand reserved available } } }`;

// Resubscribing after a drop passes the last sequence seen, so nothing is missed or repeated.
function subscribe(): void {
  client.subscribe<{ stockChanged?: { sequence: string } }>(
    { query, variables: { s: values.sku, w: values.warehouse, after: last } },
    {
      next: (msg) => {
        if (msg.data?.stockChanged) last = msg.data.stockChanged.sequence;
        console.log(JSON.stringify(msg.data ?? msg.errors));
      },
      error: (err) => {
        console.error("# error", JSON.stringify(err));
        setTimeout(subscribe, 1000);
      },
      complete: () => setTimeout(subscribe, 1000),
    },
  );
}
subscribe();
