// The tabs a first visit opens with: an order's life, one step per tab; then allocation, lots and transfers.

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
  {
    query: `# Several warehouses: lines naming no warehouse are
# allocated (PRIORITY or MOST_AVAILABLE or NEAREST to
# shipTo; split NEVER, MINIMIZE (fewest warehouses:
# the default) or ALLOW). checkStock answers where the
# stock would come from now, changing nothing; the
# reservation's lines say where each part was taken.
query checkStock($sku: String!) {
  checkStock(items: [{ sku: $sku, quantity: 3 }], allocation: { strategy: NEAREST, split: MINIMIZE, shipTo: { latitude: 31.23, longitude: 121.47 } }) {
    available
    lines { sku requested available sufficient sources { warehouse { code location { latitude longitude } } quantity } }
  }
}

mutation reserveAllocated($orderId: String!, $sku: String!) {
  reserveStock(input: { orderId: $orderId, items: [{ sku: $sku, quantity: 3 }], allocation: { strategy: MOST_AVAILABLE, split: ALLOW } }) {
    reservation { orderId status lines { quantity warehouse { code } } }
    errors { code message sku available requested }
  }
}
`,
    variables: vars({ orderId: "ORDER-2001", sku: "DEMO-MUG" }),
  },
  {
    query: `# Lots with expiry dates (批次/保质期), one operation at a
# time (ADMIN key): a product that tracks lots, three
# receipts naming their lot, then a reserve: lots go
# first-expiry-first-out, split where one runs short;
# minShelfLifeDays skips lots too close to their date.
mutation createHoney($sku: String!) {
  createProduct(input: { sku: $sku, name: "Acacia honey 500 g", tracksLots: true, removalDays: 7 }) {
    product { sku tracksLots removalDays }
    errors { code message }
  }
}

mutation receiveLots($sku: String!) {
  a: receiveStock(input: { sku: $sku, quantity: 4, lot: { code: "H-0312", expiresOn: "2027-06-20" } }) { errors { code message } }
  b: receiveStock(input: { sku: $sku, quantity: 5, lot: { code: "H-0401", expiresOn: "2027-09-19" } }) { errors { code message } }
  c: receiveStock(input: { sku: $sku, quantity: 8, lot: { code: "H-0228", expiresOn: "2027-05-15" } }) { errors { code message } }
}

mutation reserveHoney($orderId: String!, $sku: String!) {
  reserveStock(input: { orderId: $orderId, items: [{ sku: $sku, quantity: 10, minShelfLifeDays: 30 }] }) {
    reservation { lines { quantity lots { lot { code sellBy } quantity } } }
    errors { code message available requested }
  }
}

query lots($sku: String!) {
  product(sku: $sku) { levels { warehouse { code } onHand reserved unsellable available lots { code sellBy onHand reserved status } } }
  expiringLots(withinDays: 365, first: 10) { nodes { code sellBy available product { sku } } }
}
`,
    variables: vars({ orderId: "ORDER-3001", sku: "DEMO-HONEY" }),
  },
  {
    query: `# Moving stock between warehouses (调拨), one operation
# at a time: pick it in ▶'s menu (ADMIN key).
# createWarehouse once, then createTransfer (DRAFT:
# nothing moves), shipTransfer (leaves MAIN now),
# receiveTransfer (as often as parts arrive), and
# closeTransfer if the rest never comes (it is lost).
mutation createTransfer($reference: String!, $from: String!, $to: String!, $sku: String!) {
  createTransfer(input: { reference: $reference, from: $from, to: $to, lines: [{ sku: $sku, quantity: 4 }] }) {
    transfer { reference status from { code } to { code } lines { sku quantity } }
    errors { code message }
  }
}

mutation shipTransfer($reference: String!) {
  shipTransfer(input: { reference: $reference }) {
    transfer { status shippedAt }
    movements { type sku warehouse onHandDelta }
    errors { code message sku available requested }
  }
}

mutation receiveTransfer($reference: String!, $sku: String!) {
  receiveTransfer(input: { reference: $reference, lines: [{ sku: $sku, quantity: 3 }] }) {
    transfer { status lines { sku quantity received lost } }
    movements { type sku warehouse onHandDelta }
    errors { code message available requested }
  }
}

mutation closeTransfer($reference: String!) {
  closeTransfer(input: { reference: $reference, reason: "one broke on the way" }) {
    transfer { status closeReason lines { sku received lost } }
    errors { code message }
  }
}

query transfers($to: String!, $sku: String!) {
  transfers(warehouse: $to, first: 5) { nodes { reference status version } }
  product(sku: $sku) { levels { warehouse { code } onHand inTransit } }
}

mutation createWarehouse($to: String!) {
  createWarehouse(input: { code: $to, name: "Second warehouse" }) {
    warehouse { code }
    errors { code message }
  }
}
`,
    variables: vars({ reference: "TR-1001", from: "MAIN", to: "EAST", sku: "DEMO-MUG" }),
  },
  {
    query: `# Live: every change of a transfer (created, shipped,
# each receipt, closed, cancelled). Leave out
# reference to follow all transfers.
subscription transferChanged($reference: String) {
  transferChanged(reference: $reference) {
    sequence
    kind
    status
    transfer { reference lines { sku quantity received lost } }
  }
}
`,
    variables: vars({ reference: "TR-1001" }),
  },
].map((tab) => ({ ...tab, headers: DEFAULT_HEADERS }));
