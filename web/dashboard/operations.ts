// The GraphQL the dashboard sends: one query to start, then subscriptions only
// (the transfers panel: one query of its own at start and after a reconnect).

const LEVEL = `id onHand reserved available lowStockThreshold version`;
const MOVEMENT = `sequence type sku warehouse onHandDelta reservedDelta availableAfter orderId actor createdAt`;
const ALERT = `sequence kind availableBefore availableAfter threshold at lot { code sellBy } level { ${LEVEL} product { sku } warehouse { code } }`;

/** Movements read at start: they seed the feed and the chart, and the oldest is where the live stream resumes from. */
export const RECENT_MOVEMENTS = 200;
export const PRODUCTS_PER_PAGE = 100;

export const SNAPSHOT = `query DashboardSnapshot($first: Int!, $after: String, $recent: Int!) {
  products(first: $first, after: $after) {
    nodes { sku name levels { ${LEVEL} product { sku } warehouse { code } } }
    pageInfo { endCursor hasNextPage }
  }
  stockAlerts(first: 20) { nodes { ${ALERT} } }
  stockMovements(newestFirst: true, first: $recent) { nodes { ${MOVEMENT} } pageInfo { hasNextPage } }
}`;

/** Further pages of a large catalogue. */
export const PRODUCTS_PAGE = `query DashboardProducts($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    nodes { sku name levels { ${LEVEL} product { sku } warehouse { code } } }
    pageInfo { endCursor hasNextPage }
  }
}`;

/** Alerts have no `after`: after a reconnect the dashboard reads what it missed. */
export const RECENT_ALERTS = `query DashboardAlerts { stockAlerts(first: 20) { nodes { ${ALERT} } } }`;

export const STOCK_CHANGED = `subscription DashboardStockChanged($after: String) {
  stockChanged(after: $after) { sequence movement { ${MOVEMENT} } level { ${LEVEL} } }
}`;

export const LOW_STOCK_ALERT = `subscription DashboardLowStockAlert {
  lowStockAlert { ${ALERT} }
}`;

const TRANSFER = `reference status version from { code } to { code } lines { sku quantity received lost }`;

/** Transfers on their way (a transfer moves no stock until it ships, and none after it ends). */
export const TRANSFERS_IN_TRANSIT = `query DashboardTransfers {
  inTransit: transfers(status: IN_TRANSIT, first: 50) { nodes { ${TRANSFER} } }
  partiallyReceived: transfers(status: PARTIALLY_RECEIVED, first: 50) { nodes { ${TRANSFER} } }
}`;

export const TRANSFER_CHANGED = `subscription DashboardTransferChanged {
  transferChanged { transfer { ${TRANSFER} } }
}`;
