// The tabs a first visit opens with: an order's life, one step per tab.

export const KEY_PLACEHOLDER = "<paste your key>";
export const DEFAULT_HEADERS = `{"Authorization": "Bearer ${KEY_PLACEHOLDER}"}`;

const vars = (v: Record<string, unknown>) => JSON.stringify(v, null, 2);

export const exampleTabs = [
  {
    query: `# An order's life, one step per tab, left to right.
#
# 1. Paste your API key into Headers (below). The key
#    printed at the service's first start is an ADMIN key.
#    Without a key you are anonymous: products,
#    warehouses and checkStock only.
# 2. Run with ▶ or Ctrl+Enter.
# 3. The book icon (top left) shows the schema's docs.

mutation createProduct($sku: String!) {
  createProduct(input: { sku: $sku, name: "Demo mug", initialStock: 10, lowStockThreshold: 3 }) {
    product {
      sku
      name
      stock { onHand reserved available }
    }
    errors { code message }
  }
}
`,
    variables: vars({ sku: "DEMO-MUG" }),
  },
  {
    query: `# An order is placed: hold its stock
# (available -> reserved). The same orderId with the
# same lines again returns the same reservation.
mutation reserveStock($orderId: String!, $sku: String!) {
  reserveStock(input: { orderId: $orderId, items: [{ sku: $sku, quantity: 2 }], ttlSeconds: 900 }) {
    reservation {
      orderId
      status
      expiresAt
      lines { sku quantity warehouse { code } }
    }
    errors { code message sku available requested }
  }
}
`,
    variables: vars({ orderId: "ORDER-1001", sku: "DEMO-MUG" }),
  },
  {
    query: `# Paid: the held stock leaves the warehouse
# (reserved and onHand go down). releaseReservation
# would give it back; an unpaid hold expires by itself.
mutation confirmReservation($orderId: String!) {
  confirmReservation(input: { orderId: $orderId }) {
    reservation { orderId status updatedAt }
    errors { code message }
  }
}
`,
    variables: vars({ orderId: "ORDER-1001" }),
  },
  {
    query: `# The ledger: every change of every level, by whom.
query stockMovements($sku: String) {
  stockMovements(sku: $sku, newestFirst: true, first: 10) {
    nodes {
      sequence
      type
      sku
      warehouse
      onHandDelta
      reservedDelta
      availableAfter
      orderId
      actor
      createdAt
    }
    pageInfo { endCursor hasNextPage }
  }
}
`,
    variables: vars({ sku: "DEMO-MUG" }),
  },
  {
    query: `# Live: run this, then a mutation in another tab.
# Every committed change arrives here over WebSocket
# (graphql-ws, same URL). With after: "<sequence>" it
# first replays what you missed since that sequence.
subscription stockChanged($skus: [String!]) {
  stockChanged(skus: $skus) {
    sequence
    movement { type sku warehouse onHandDelta reservedDelta orderId actor }
    level { onHand reserved available lowStock }
  }
}
`,
    variables: vars({ skus: ["DEMO-MUG"] }),
  },
].map((tab) => ({ ...tab, headers: DEFAULT_HEADERS }));
