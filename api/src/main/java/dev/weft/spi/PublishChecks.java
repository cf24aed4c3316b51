package dev.weft.spi;

import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.MemoryRegion;

/**
 * The checks every provider's {@link dev.weft.Listener#publish} makes, so that the same call is taken or refused, with
 * the same code and message, on every fabric. Stateless; thread-safe.
 */
public final class PublishChecks {
    private PublishChecks() {
    }

    /**
     * Refuses what {@code Listener.publish} must refuse, each with {@link dev.weft.ErrorCode#INVALID_ARGUMENT}: a name
     * {@link FabricUri#requireRegionName} refuses, a null region, a region of another domain (or provider), a closed
     * region. The listener's own state (closed: {@code CLOSED}) is the provider's to check first.
     *
     * @param name the name to publish under
     * @param region the region to publish
     * @param ofThisDomain whether {@code region} is the provider's region type and registered in the listener's domain
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT} naming what is wrong and what would do
     */
    public static void require(String name, MemoryRegion region, boolean ofThisDomain) {
        FabricUri.requireRegionName(name);
        if (region == null) {
            throw FabricException.invalid("publish(\"" + name + "\", null): the region is null; publish a region registered in"
                    + " this listener's domain");
        }
        if (!ofThisDomain) {
            throw FabricException.invalid("publish(\"" + name + "\"): the region belongs to another domain; publish a region"
                    + " registered in this listener's domain");
        }
        if (!region.isOpen()) {
            throw FabricException.invalid("publish(\"" + name + "\"): the region is closed; register the memory again and publish"
                    + " the new region");
        }
    }
}
