/**
 * Hello, Retail!'s seed data: a small catalog, photographers and the card
 * authority's cards (one of each way to be declined).
 *
 * @module
 */
import type { CardAuthority } from "./_shared/types.ts";

/** A product as the catalog builder takes it. */
export interface ProductInput {
  /** Product id. */
  id: string;
  /** Brand. */
  brand: string;
  /** Name. */
  name: string;
  /** Description. */
  description: string;
  /** Category. */
  category: string;
  /** Price in dollars. */
  price: number;
  /** Image URL, if any. */
  image?: string;
}

/** A photographer as register-photographer takes one. */
export interface PhotographerInput {
  /** Photographer id. */
  id: string;
  /** Phone number. */
  phone: string;
  /** Assignments signed up for. */
  registrations: number;
}

/** Products in three categories; none has a photo yet except the scarf. */
export const PRODUCTS: readonly ProductInput[] = [
  {
    id: "boot-1",
    brand: "Hiker & Co",
    name: "Trail Boot",
    description: "Waterproof leather boot with a lugged sole.",
    category: "Shoes",
    price: 149.95,
  },
  {
    id: "sneaker-1",
    brand: "Quick Feet",
    name: "Canvas Sneaker",
    description: "Low-top canvas sneaker.",
    category: "Shoes",
    price: 59,
  },
  {
    id: "coat-1",
    brand: "North Row",
    name: "Wool Coat",
    description: "Single-breasted coat in merino wool.",
    category: "Outerwear",
    price: 320,
  },
  {
    id: "scarf-1",
    brand: "North Row",
    name: "Cashmere Scarf",
    description: "A long scarf, soft and warm.",
    category: "Accessories",
    price: 89.5,
    image: "https://images.example/scarf-1.jpg",
  },
];

/** Photographers: two with room for assignments. */
export const PHOTOGRAPHERS: readonly PhotographerInput[] = [
  { id: "ansel", phone: "+12065550101", registrations: 3 },
  { id: "dorothea", phone: "+12065550102", registrations: 1 },
];

/** Cards: one good, one nearly empty, one blocked, one expired. */
export const CARDS: readonly CardAuthority[] = [
  {
    card: "4111111111111111",
    holder: "Ada Buyer",
    available: 1000,
    expires: "2099-12",
    blocked: false,
    authorizations: [],
  },
  {
    card: "4222222222222222",
    holder: "Bo Broke",
    available: 20,
    expires: "2099-12",
    blocked: false,
    authorizations: [],
  },
  {
    card: "4333333333333333",
    holder: "Cy Blocked",
    available: 5000,
    expires: "2099-12",
    blocked: true,
    authorizations: [],
  },
  {
    card: "4444444444444444",
    holder: "Di Expired",
    available: 5000,
    expires: "2001-01",
    blocked: false,
    authorizations: [],
  },
];
