/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    product {\n      sku\n      name\n      stock {\n        onHand\n        reserved\n        available\n      }\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Reserve($input: ReserveStockInput!) {\n  reserveStock(input: $input) {\n    reservation {\n      orderId\n      status\n      expiresAt\n      lines {\n        sku\n        quantity\n        warehouse {\n          code\n        }\n      }\n    }\n    errors {\n      code\n      message\n      available\n      requested\n    }\n  }\n}\n\nmutation Confirm($orderId: String!) {\n  confirmReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Release($orderId: String!) {\n  releaseReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nquery Ledger($sku: String!) {\n  stockMovements(sku: $sku, first: 100) {\n    nodes {\n      sequence\n      type\n      onHandDelta\n      reservedDelta\n      onHandAfter\n      reservedAfter\n      availableAfter\n      version\n      orderId\n      actor\n    }\n  }\n}\n\nsubscription Changes($skus: [String!], $after: String) {\n  stockChanged(skus: $skus, after: $after) {\n    sequence\n    movement {\n      type\n      sku\n      version\n    }\n    level {\n      available\n    }\n  }\n}": typeof types.CreateProductDocument,
    "query LevelByKey($key: StockLevelKey!) {\n  stockLevel(key: $key) {\n    id\n    databaseId\n    onHand\n    reserved\n    available\n    warehouse {\n      code\n    }\n  }\n}\n\nquery NodeById($id: ID!) {\n  node(id: $id) {\n    __typename\n    id\n    ... on StockLevel {\n      onHand\n      reserved\n    }\n  }\n}": typeof types.LevelByKeyDocument,
};
const documents: Documents = {
    "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    product {\n      sku\n      name\n      stock {\n        onHand\n        reserved\n        available\n      }\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Reserve($input: ReserveStockInput!) {\n  reserveStock(input: $input) {\n    reservation {\n      orderId\n      status\n      expiresAt\n      lines {\n        sku\n        quantity\n        warehouse {\n          code\n        }\n      }\n    }\n    errors {\n      code\n      message\n      available\n      requested\n    }\n  }\n}\n\nmutation Confirm($orderId: String!) {\n  confirmReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Release($orderId: String!) {\n  releaseReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nquery Ledger($sku: String!) {\n  stockMovements(sku: $sku, first: 100) {\n    nodes {\n      sequence\n      type\n      onHandDelta\n      reservedDelta\n      onHandAfter\n      reservedAfter\n      availableAfter\n      version\n      orderId\n      actor\n    }\n  }\n}\n\nsubscription Changes($skus: [String!], $after: String) {\n  stockChanged(skus: $skus, after: $after) {\n    sequence\n    movement {\n      type\n      sku\n      version\n    }\n    level {\n      available\n    }\n  }\n}": types.CreateProductDocument,
    "query LevelByKey($key: StockLevelKey!) {\n  stockLevel(key: $key) {\n    id\n    databaseId\n    onHand\n    reserved\n    available\n    warehouse {\n      code\n    }\n  }\n}\n\nquery NodeById($id: ID!) {\n  node(id: $id) {\n    __typename\n    id\n    ... on StockLevel {\n      onHand\n      reserved\n    }\n  }\n}": types.LevelByKeyDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    product {\n      sku\n      name\n      stock {\n        onHand\n        reserved\n        available\n      }\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Reserve($input: ReserveStockInput!) {\n  reserveStock(input: $input) {\n    reservation {\n      orderId\n      status\n      expiresAt\n      lines {\n        sku\n        quantity\n        warehouse {\n          code\n        }\n      }\n    }\n    errors {\n      code\n      message\n      available\n      requested\n    }\n  }\n}\n\nmutation Confirm($orderId: String!) {\n  confirmReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Release($orderId: String!) {\n  releaseReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nquery Ledger($sku: String!) {\n  stockMovements(sku: $sku, first: 100) {\n    nodes {\n      sequence\n      type\n      onHandDelta\n      reservedDelta\n      onHandAfter\n      reservedAfter\n      availableAfter\n      version\n      orderId\n      actor\n    }\n  }\n}\n\nsubscription Changes($skus: [String!], $after: String) {\n  stockChanged(skus: $skus, after: $after) {\n    sequence\n    movement {\n      type\n      sku\n      version\n    }\n    level {\n      available\n    }\n  }\n}"): (typeof documents)["mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    product {\n      sku\n      name\n      stock {\n        onHand\n        reserved\n        available\n      }\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Reserve($input: ReserveStockInput!) {\n  reserveStock(input: $input) {\n    reservation {\n      orderId\n      status\n      expiresAt\n      lines {\n        sku\n        quantity\n        warehouse {\n          code\n        }\n      }\n    }\n    errors {\n      code\n      message\n      available\n      requested\n    }\n  }\n}\n\nmutation Confirm($orderId: String!) {\n  confirmReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nmutation Release($orderId: String!) {\n  releaseReservation(input: {orderId: $orderId}) {\n    reservation {\n      orderId\n      status\n    }\n    errors {\n      code\n      message\n    }\n  }\n}\n\nquery Ledger($sku: String!) {\n  stockMovements(sku: $sku, first: 100) {\n    nodes {\n      sequence\n      type\n      onHandDelta\n      reservedDelta\n      onHandAfter\n      reservedAfter\n      availableAfter\n      version\n      orderId\n      actor\n    }\n  }\n}\n\nsubscription Changes($skus: [String!], $after: String) {\n  stockChanged(skus: $skus, after: $after) {\n    sequence\n    movement {\n      type\n      sku\n      version\n    }\n    level {\n      available\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query LevelByKey($key: StockLevelKey!) {\n  stockLevel(key: $key) {\n    id\n    databaseId\n    onHand\n    reserved\n    available\n    warehouse {\n      code\n    }\n  }\n}\n\nquery NodeById($id: ID!) {\n  node(id: $id) {\n    __typename\n    id\n    ... on StockLevel {\n      onHand\n      reserved\n    }\n  }\n}"): (typeof documents)["query LevelByKey($key: StockLevelKey!) {\n  stockLevel(key: $key) {\n    id\n    databaseId\n    onHand\n    reserved\n    available\n    warehouse {\n      code\n    }\n  }\n}\n\nquery NodeById($id: ID!) {\n  node(id: $id) {\n    __typename\n    id\n    ... on StockLevel {\n      onHand\n      reserved\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;