package dev.refusalmonitor.math.drift;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which slices a request counts in, under the caps of {@link DriftConfig}: the model-wide slice (model, _all, _all)
 * when {@link DriftConfig#trackModelTotal()} is set, and, when the request carries a tenant or a route, its (model,
 * tenant, route) slice. A model gets at most {@link DriftConfig#maxSlicesPerModel()} tenant/route slices, first come
 * first served; further pairs go to the overflow slice (model, _other, _other). At most
 * {@link DriftConfig#maxModels()} models; later ones become model _other. Slices are never forgotten, so the set is
 * bounded by maxModels · (M + 2). Not thread-safe.
 */
public final class SliceResolver {
    private final DriftConfig config;
    /** Per model: tenant/route slices given so far (excluding total and overflow). */
    private final Map<String, Set<SliceKey>> slicesPerModel = new HashMap<>();

    public SliceResolver(DriftConfig config) {
        this.config = config;
    }

    /** The slices a request with this key counts in (assigning new slices within the caps). */
    public List<SliceKey> slicesOf(SliceKey key) {
        // Only the resolver assigns the model-total slice; a caller's key names the request's own tenant/route.
        if (key.isModelTotal()) key = SliceKey.of(key.model(), null, null);
        String model = model(key.model(), true);
        boolean total = config.trackModelTotal();
        if (key.isUnsliced() && total) return List.of(SliceKey.modelTotal(model));
        SliceKey own = slice(model, key, true);
        return total ? List.of(SliceKey.modelTotal(model), own) : List.of(own);
    }

    /** The slice a request with this key counts in besides the model total, without assigning anything. */
    public SliceKey peek(SliceKey key) {
        String model = model(key.model(), false);
        return key.isUnsliced() && config.trackModelTotal() ? SliceKey.modelTotal(model) : slice(model, key, false);
    }

    private String model(String model, boolean assign) {
        if (SliceKey.OTHER.equals(model) || slicesPerModel.containsKey(model)) return model;
        if (slicesPerModel.size() >= config.maxModels()) return SliceKey.OTHER;
        if (assign) slicesPerModel.put(model, new HashSet<>());
        return model;
    }

    private SliceKey slice(String model, SliceKey key, boolean assign) {
        SliceKey overflow = new SliceKey(model, SliceKey.OTHER, SliceKey.OTHER);
        if (SliceKey.OTHER.equals(model) || SliceKey.OTHER.equals(key.tenant()) || SliceKey.OTHER.equals(key.route())) {
            return overflow;
        }
        SliceKey k = new SliceKey(model, key.tenant(), key.route());
        Set<SliceKey> given = slicesPerModel.getOrDefault(model, Set.of());
        if (given.contains(k)) return k;
        if (given.size() >= config.maxSlicesPerModel()) return overflow;
        if (assign) slicesPerModel.get(model).add(k);
        return k;
    }
}
