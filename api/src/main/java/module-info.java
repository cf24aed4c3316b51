/**
 * Weft's public API ({@code dev.weft}), its {@code CompletableFuture} convenience layer
 * ({@code dev.weft.async}) and the provider SPI ({@code dev.weft.spi}).
 *
 * <p>Applications open a fabric by URI with {@link dev.weft.Fabrics#open(String)}; providers
 * are found with {@link java.util.ServiceLoader} and implement {@link dev.weft.spi.FabricProvider}.
 */
module dev.weft.api {
    exports dev.weft;
    exports dev.weft.async;
    exports dev.weft.spi;

    uses dev.weft.spi.FabricProvider;
}
