package dev.refusalmonitor.math.drift;

/**
 * What a drift window aggregates over: one model, optionally narrowed to a tenant and a route. Reserved values:
 * {@link #ALL} (the slice covers every tenant/route of the model), {@link #NONE} (the record carried no
 * tenant/route) and {@link #OTHER} (the tenant/route pair was folded into the overflow slice because the model
 * already had the maximum number of tenant/route slices, or the model into the overflow model because the tracker
 * already had the maximum number of models). A real tenant, route or model spelled like a reserved value is
 * treated as that value.
 */
public record SliceKey(String model, String tenant, String route) {
    public static final String ALL = "_all";
    public static final String NONE = "_none";
    public static final String OTHER = "_other";

    public SliceKey {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("a slice needs a model id");
        if (tenant == null || route == null) throw new IllegalArgumentException("tenant and route must not be null");
    }

    /** The slice of one record: null or blank tenant/route become {@link #NONE}. */
    public static SliceKey of(String model, String tenant, String route) {
        return new SliceKey(model, blankToNone(tenant), blankToNone(route));
    }

    /** The model-wide slice (every tenant and route). */
    public static SliceKey modelTotal(String model) {
        return new SliceKey(model, ALL, ALL);
    }

    /** True for the model-wide slice. */
    public boolean isModelTotal() {
        return ALL.equals(tenant) && ALL.equals(route);
    }

    /** True when the record carried neither tenant nor route. */
    public boolean isUnsliced() {
        return NONE.equals(tenant) && NONE.equals(route);
    }

    private static String blankToNone(String s) {
        return s == null || s.isBlank() ? NONE : s;
    }

    @Override
    public String toString() {
        return model + "/" + tenant + "/" + route;
    }
}
