package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** An SQS event: a batch of messages (JSON key {@code Records}). */
public class SQSEvent implements Serializable, Cloneable {

    private static final long serialVersionUID = 1L;

    private List<SQSMessage> records;

    /** A new, empty SQSEvent. */
    public SQSEvent() {}

    public List<SQSMessage> getRecords() {
        return this.records;
    }

    public void setRecords(List<SQSMessage> records) {
        this.records = records;
    }

    public SQSEvent withRecords(List<SQSMessage> records) {
        this.setRecords(records);
        return this;
    }

    /** One message attribute of an SQS message. */
    public static class MessageAttribute implements Serializable, Cloneable {

        private static final long serialVersionUID = 1L;

        private String stringValue;
        private ByteBuffer binaryValue;
        private List<String> stringListValues;
        private List<ByteBuffer> binaryListValues;
        private String dataType;

        /** A new, empty MessageAttribute. */
        public MessageAttribute() {}

        public String getStringValue() {
            return this.stringValue;
        }

        public void setStringValue(String stringValue) {
            this.stringValue = stringValue;
        }

        public MessageAttribute withStringValue(String stringValue) {
            this.setStringValue(stringValue);
            return this;
        }

        public ByteBuffer getBinaryValue() {
            return this.binaryValue;
        }

        public void setBinaryValue(ByteBuffer binaryValue) {
            this.binaryValue = binaryValue;
        }

        public MessageAttribute withBinaryValue(ByteBuffer binaryValue) {
            this.setBinaryValue(binaryValue);
            return this;
        }

        public List<String> getStringListValues() {
            return this.stringListValues;
        }

        public void setStringListValues(List<String> stringListValues) {
            this.stringListValues = stringListValues;
        }

        public MessageAttribute withStringListValues(List<String> stringListValues) {
            this.setStringListValues(stringListValues);
            return this;
        }

        public List<ByteBuffer> getBinaryListValues() {
            return this.binaryListValues;
        }

        public void setBinaryListValues(List<ByteBuffer> binaryListValues) {
            this.binaryListValues = binaryListValues;
        }

        public MessageAttribute withBinaryListValues(List<ByteBuffer> binaryListValues) {
            this.setBinaryListValues(binaryListValues);
            return this;
        }

        public String getDataType() {
            return this.dataType;
        }

        public void setDataType(String dataType) {
            this.dataType = dataType;
        }

        public MessageAttribute withDataType(String dataType) {
            this.setDataType(dataType);
            return this;
        }

        @Override
        public String toString() {
            return Describe.of(this);
        }

        @Override
        public MessageAttribute clone() {
            try {
                return (MessageAttribute) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
            }
        }
    }

    /** One SQS message of an SQSEvent. */
    public static class SQSMessage implements Serializable, Cloneable {

        private static final long serialVersionUID = 1L;

        private String messageId;
        private String receiptHandle;
        private String body;
        private String md5OfBody;
        private String md5OfMessageAttributes;
        private String eventSourceArn;
        private String eventSource;
        private String awsRegion;
        private Map<String, String> attributes;
        private Map<String, MessageAttribute> messageAttributes;

        /** A new, empty SQSMessage. */
        public SQSMessage() {}

        public String getMessageId() {
            return this.messageId;
        }

        public void setMessageId(String messageId) {
            this.messageId = messageId;
        }

        public SQSMessage withMessageId(String messageId) {
            this.setMessageId(messageId);
            return this;
        }

        public String getReceiptHandle() {
            return this.receiptHandle;
        }

        public void setReceiptHandle(String receiptHandle) {
            this.receiptHandle = receiptHandle;
        }

        public SQSMessage withReceiptHandle(String receiptHandle) {
            this.setReceiptHandle(receiptHandle);
            return this;
        }

        public String getBody() {
            return this.body;
        }

        public void setBody(String body) {
            this.body = body;
        }

        public SQSMessage withBody(String body) {
            this.setBody(body);
            return this;
        }

        public String getMd5OfBody() {
            return this.md5OfBody;
        }

        public void setMd5OfBody(String md5OfBody) {
            this.md5OfBody = md5OfBody;
        }

        public SQSMessage withMd5OfBody(String md5OfBody) {
            this.setMd5OfBody(md5OfBody);
            return this;
        }

        public String getMd5OfMessageAttributes() {
            return this.md5OfMessageAttributes;
        }

        public void setMd5OfMessageAttributes(String md5OfMessageAttributes) {
            this.md5OfMessageAttributes = md5OfMessageAttributes;
        }

        public SQSMessage withMd5OfMessageAttributes(String md5OfMessageAttributes) {
            this.setMd5OfMessageAttributes(md5OfMessageAttributes);
            return this;
        }

        public String getEventSourceArn() {
            return this.eventSourceArn;
        }

        public void setEventSourceArn(String eventSourceArn) {
            this.eventSourceArn = eventSourceArn;
        }

        public SQSMessage withEventSourceArn(String eventSourceArn) {
            this.setEventSourceArn(eventSourceArn);
            return this;
        }

        public String getEventSource() {
            return this.eventSource;
        }

        public void setEventSource(String eventSource) {
            this.eventSource = eventSource;
        }

        public SQSMessage withEventSource(String eventSource) {
            this.setEventSource(eventSource);
            return this;
        }

        public String getAwsRegion() {
            return this.awsRegion;
        }

        public void setAwsRegion(String awsRegion) {
            this.awsRegion = awsRegion;
        }

        public SQSMessage withAwsRegion(String awsRegion) {
            this.setAwsRegion(awsRegion);
            return this;
        }

        public Map<String, String> getAttributes() {
            return this.attributes;
        }

        public void setAttributes(Map<String, String> attributes) {
            this.attributes = attributes;
        }

        public SQSMessage withAttributes(Map<String, String> attributes) {
            this.setAttributes(attributes);
            return this;
        }

        public Map<String, MessageAttribute> getMessageAttributes() {
            return this.messageAttributes;
        }

        public void setMessageAttributes(Map<String, MessageAttribute> messageAttributes) {
            this.messageAttributes = messageAttributes;
        }

        public SQSMessage withMessageAttributes(Map<String, MessageAttribute> messageAttributes) {
            this.setMessageAttributes(messageAttributes);
            return this;
        }

        @Override
        public String toString() {
            return Describe.of(this);
        }

        @Override
        public SQSMessage clone() {
            try {
                return (SQSMessage) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
            }
        }
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }

    @Override
    public SQSEvent clone() {
        try {
            return (SQSEvent) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
        }
    }
}
