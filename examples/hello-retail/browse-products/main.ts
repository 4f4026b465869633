// browse-products (f1): the catalog API. GET /categories lists the categories,
// GET /products?category=C the products of one, GET /products?id=P one product.
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, HttpError, text } from "../_shared/http.ts";
import type { Category, Price, Product, StoredPhoto } from "../_shared/types.ts";
import type { RetailDb } from "../_shared/db.ts";

/** A product as the API shows it: with its price and its photo (the stored one first). */
function view(db: RetailDb, product: Product): Record<string, unknown> {
  const photo = db.get<StoredPhoto>("storedPhotos", product.id);
  return {
    ...product,
    price: db.get<Price>("productPrice", product.id)?.price ?? null,
    image: photo?.imageUrl ?? product.image ?? null,
  };
}

/** Answers the catalog's read requests. */
const browseProducts: Handler = handle("GET", (request) => {
  const url = new URL(request.url);
  const query = url.searchParams;
  return withDb((db) => {
    if (url.pathname === "/" || url.pathname === "/categories") {
      return { categories: db.list<Category>("productCategory").map((c) => c.name) };
    }
    if (url.pathname !== "/products") {
      throw new HttpError(404, `no route ${url.pathname}: use /categories or /products`);
    }
    if (query.has("id")) {
      const id = text(query, "id");
      const product = db.get<Product>("productCatalog", id);
      if (!product) throw new HttpError(404, `unknown product "${id}"`);
      return { product: view(db, product) };
    }
    const category = text(query, "category");
    if (!db.get<Category>("productCategory", category)) {
      throw new HttpError(404, `unknown category "${category}"`);
    }
    const products = db.list<Product>("productCatalog", "category", category);
    return { category, products: products.map((p) => view(db, p)) };
  });
});

export default browseProducts;
