/**
 * The records Hello, Retail! keeps, one type per logical table, and the
 * messages its chains pass along.
 *
 * @module
 */

/** `productCatalog`, by product id. */
export interface Product {
  /** Product id. */
  id: string;
  /** Brand. */
  brand: string;
  /** Name. */
  name: string;
  /** Description. */
  description: string;
  /** Category (a key of `productCategory`). */
  category: string;
  /** Image URL given by the builder, if any. */
  image?: string;
}

/** `productCategory`, by category name. */
export interface Category {
  /** Category name. */
  name: string;
}

/** `productPrice`, by product id. */
export interface Price {
  /** Product id. */
  productId: string;
  /** Price in dollars, to the cent. */
  price: number;
}

/** `photographerRegistry`, by photographer id. */
export interface Photographer {
  /** Photographer id. */
  id: string;
  /** Where assignments are sent. */
  phone: string;
  /** How many assignments the photographer signed up for. */
  registrations: number;
  /** How many assignments the photographer completed. */
  assignments: number;
  /** The product the photographer is assigned now, if any. */
  assignment: string | null;
}

/** `photoAssignments`, by photographer id: the photographer's latest assignment. */
export interface Assignment {
  /** Photographer id. */
  photographer: string;
  /** Product to photograph. */
  productId: string;
  /** The token the photographer must present with the photo. */
  taskToken: string;
  /** Pending until a photo with the right token arrives. */
  status: "pending" | "complete";
  /** When it was assigned (ISO 8601). */
  assignedAt: string;
  /** When the photo arrived (ISO 8601). */
  completedAt?: string;
}

/** `storedPhotos`, by product id. */
export interface StoredPhoto {
  /** Product id. */
  productId: string;
  /** Where the photo is. */
  imageUrl: string;
  /** Who took it. */
  photographer: string;
  /** When it was stored (ISO 8601). */
  storedAt: string;
}

/** One approved charge on a card. */
export interface Authorization {
  /** The authorization code given to the merchant. */
  code: string;
  /** Amount in dollars. */
  amount: number;
  /** Product bought. */
  productId: string;
  /** Buyer. */
  user: string;
  /** When (ISO 8601). */
  at: string;
}

/** `creditCardAuthority`, by card number: what the issuer knows about a card. */
export interface CardAuthority {
  /** Card number. */
  card: string;
  /** Card holder. */
  holder: string;
  /** Credit left, in dollars. */
  available: number;
  /** Expiry month, "YYYY-MM". */
  expires: string;
  /** A blocked card is declined. */
  blocked: boolean;
  /** Charges approved so far. */
  authorizations: Authorization[];
}

/** A purchase moving down the purchase chain. */
export interface PurchaseOrder {
  /** Product id. */
  productId: string;
  /** Buyer. */
  user: string;
  /** Card number. */
  card: string;
}
