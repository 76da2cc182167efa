package com.amazonaws.services.lambda.runtime;

/** The client application of a {@link ClientContext}. */
public interface Client {

    /** @return the installation ID */
    String getInstallationId();

    /** @return the application's title */
    String getAppTitle();

    /** @return the application's version name */
    String getAppVersionName();

    /** @return the application's version code */
    String getAppVersionCode();

    /** @return the application's package name */
    String getAppPackageName();
}
