CREATE TABLE "task_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "task_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"task_id" text NOT NULL,
	"queue_name" text NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_outbox" ADD CONSTRAINT "task_outbox_task_id_task_task_id_fk" FOREIGN KEY ("task_id") REFERENCES "task"("task_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_outbox_created_at_idx" ON "task_outbox" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "task_outbox_task_id_idx" ON "task_outbox" USING btree ("task_id");