/**
 * Weft's verbs provider: libibverbs and librdmacm through the Foreign Function &amp; Memory API,
 * for InfiniBand, RoCE and iWARP devices. See {@code docs/provider-verbs.md}.
 */
module dev.weft.provider.verbs {
    requires transitive dev.weft.api;

    exports dev.weft.provider.verbs;

    provides dev.weft.spi.FabricProvider with dev.weft.provider.verbs.VerbsProvider;
}
