// build-product: the catalog builder. POST { id, brand, name, description,
// category, price, image? } stores the product, its category and its price.
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, money, readJson, text, url } from "../_shared/http.ts";
import type { Category, Price, Product } from "../_shared/types.ts";

/** Stores a product (201 when new, 200 when replaced); an emptied old category goes. */
const buildProduct: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const product: Product = {
    id: text(body, "id"),
    brand: text(body, "brand"),
    name: text(body, "name"),
    description: text(body, "description"),
    category: text(body, "category"),
    ...(body.image === undefined ? {} : { image: url(body, "image") }),
  };
  const price: Price = { productId: product.id, price: money(body, "price") };
  const created = withDb((db) =>
    db.transaction(() => {
      const before = db.get<Product>("productCatalog", product.id);
      db.put("productCatalog", product.id, product);
      db.put<Category>("productCategory", product.category, { name: product.category });
      db.put("productPrice", product.id, price);
      if (before && before.category !== product.category) {
        const left = db.list<Product>("productCatalog", "category", before.category);
        if (left.length === 0) db.delete("productCategory", before.category);
      }
      return before === undefined;
    })
  );
  return Response.json({ product, price: price.price }, { status: created ? 201 : 200 });
});

export default buildProduct;
