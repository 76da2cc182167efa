package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** An EventBridge (CloudWatch Events) scheduled event; {@code detailType} is the JSON key {@code detail-type}. */
public class ScheduledEvent implements Serializable {

    private static final long serialVersionUID = 1L;

    private String account;
    private String region;
    private Map<String, Object> detail;
    private String detailType;
    private String source;
    private String id;
    private Instant time;
    private List<String> resources;

    /** A new, empty ScheduledEvent. */
    public ScheduledEvent() {}

    /** A new ScheduledEvent with every field. */
    public ScheduledEvent(String account, String region, Map<String, Object> detail, String detailType, String source, String id, Instant time, List<String> resources) {
        this.account = account;
        this.region = region;
        this.detail = detail;
        this.detailType = detailType;
        this.source = source;
        this.id = id;
        this.time = time;
        this.resources = resources;
    }

    public String getAccount() {
        return this.account;
    }

    public void setAccount(String account) {
        this.account = account;
    }

    public String getRegion() {
        return this.region;
    }

    public void setRegion(String region) {
        this.region = region;
    }

    public Map<String, Object> getDetail() {
        return this.detail;
    }

    public void setDetail(Map<String, Object> detail) {
        this.detail = detail;
    }

    public String getDetailType() {
        return this.detailType;
    }

    public void setDetailType(String detailType) {
        this.detailType = detailType;
    }

    public String getSource() {
        return this.source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getId() {
        return this.id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public Instant getTime() {
        return this.time;
    }

    public void setTime(Instant time) {
        this.time = time;
    }

    public List<String> getResources() {
        return this.resources;
    }

    public void setResources(List<String> resources) {
        this.resources = resources;
    }

    /** @return a builder of ScheduledEvent */
    public static ScheduledEventBuilder builder() {
        return new ScheduledEventBuilder();
    }

    /** Builds a ScheduledEvent field by field. */
    public static class ScheduledEventBuilder {
        private String account;
        private String region;
        private Map<String, Object> detail;
        private String detailType;
        private String source;
        private String id;
        private Instant time;
        private List<String> resources;

        ScheduledEventBuilder() {}

        public ScheduledEventBuilder withAccount(String account) {
            this.account = account;
            return this;
        }

        public ScheduledEventBuilder withRegion(String region) {
            this.region = region;
            return this;
        }

        public ScheduledEventBuilder withDetail(Map<String, Object> detail) {
            this.detail = detail;
            return this;
        }

        public ScheduledEventBuilder withDetailType(String detailType) {
            this.detailType = detailType;
            return this;
        }

        public ScheduledEventBuilder withSource(String source) {
            this.source = source;
            return this;
        }

        public ScheduledEventBuilder withId(String id) {
            this.id = id;
            return this;
        }

        public ScheduledEventBuilder withTime(Instant time) {
            this.time = time;
            return this;
        }

        public ScheduledEventBuilder withResources(List<String> resources) {
            this.resources = resources;
            return this;
        }

        public ScheduledEvent build() {
            return new ScheduledEvent(account, region, detail, detailType, source, id, time, resources);
        }
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }
}
